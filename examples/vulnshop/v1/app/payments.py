import requests

PAYMENT_URL = "https://payments.example.com/v1/charge"
PAYMENT_API_TOKEN = "tok_live_4f9c2a7e1b3d5f60"


def charge(card, amount):
    resp = requests.post(
        PAYMENT_URL,
        json={"card": card, "amount": amount},
        headers={"Authorization": "Bearer " + PAYMENT_API_TOKEN},
        verify=False,
    )
    return resp.json()
