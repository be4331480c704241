import pickle

import yaml


def load_catalogue(raw):
    return yaml.load(raw)


def load_cart(blob):
    return pickle.loads(blob)
