import base64
import json
import logging
import pickle

import yaml


def load_catalogue(raw):
    return yaml.load(raw)


def load_cart(blob):
    return pickle.loads(blob)


def load_session(cookie):
    logging.getLogger(__name__).debug("restoring session from cookie")
    state = pickle.loads(base64.b64decode(cookie))
    return json.dumps(state)
