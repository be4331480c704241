from flask import Flask, jsonify, request

from app import admin, auth, db, importer, payments, render

app = Flask(__name__)
app.config["SECRET_KEY"] = "vulnshop-dev-secret-0000"  # nosemgrep: fixgate.python.hardcoded-secret


@app.route("/products")
def products():
    return jsonify(db.search_products(request.args.get("q", "")))


@app.route("/orders/<order_id>")
def order(order_id):
    return jsonify(db.get_order(order_id))


@app.route("/login", methods=["POST"])
def login():
    user = auth.login(request.form["username"], request.form["password"])
    return jsonify({"ok": user is not None})


@app.route("/admin/ping")
def ping():
    return admin.ping_host(request.args["host"])


@app.route("/admin/import", methods=["POST"])
def import_catalogue():
    return jsonify(importer.load_catalogue(request.data))


@app.route("/checkout", methods=["POST"])
def checkout():
    return jsonify(payments.charge(request.json["card"], request.json["amount"]))


@app.route("/hello")
def hello():
    return render.greeting(request.args.get("name", "guest"))


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000, debug=True)
