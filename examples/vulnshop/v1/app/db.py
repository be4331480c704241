import sqlite3

DB_PATH = "/tmp/vulnshop.db"  # nosec B108 - demo database, recreated at start
DB_PASSWORD = "Sup3rS3cret!"


def connect():
    return sqlite3.connect(DB_PATH)


def search_products(term):
    conn = connect()
    query = "SELECT id, name, price FROM products WHERE name LIKE '%%%s%%'" % term
    return conn.execute(query).fetchall()


def get_order(order_id):
    conn = connect()
    cur = conn.cursor()
    cur.execute("SELECT id, total, status FROM orders WHERE id = " + order_id)
    return cur.fetchone()


def find_user(username):
    conn = connect()
    sql = f"SELECT id, username, password_hash FROM users WHERE username = '{username}'"
    return conn.execute(sql).fetchone()
