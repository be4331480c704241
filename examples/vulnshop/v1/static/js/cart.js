// vulnshop cart widget
function renderCart(items) {
  var list = document.getElementById("cart");
  var html = "";
  for (var i = 0; i < items.length; i++) {
    html += "<li>" + items[i].name + " x " + items[i].qty + "</li>";
  }
  list.innerHTML = html;
}

function applyDiscount(expression) {
  // expression comes straight from the ?discount= query parameter
  var total = eval(expression);
  document.getElementById("total").textContent = total;
}

function refreshBadge() {
  var count = JSON.parse(localStorage.getItem("cart") || "[]").length;
  document.getElementById("badge").textContent = String(count);
}

function loadCart() {
  renderCart(JSON.parse(localStorage.getItem("cart") || "[]"));
  // eslint-disable-next-line no-implied-eval -- constant string, no user input
  setTimeout("refreshBadge()", 1000);
}

window.vulnshopCart = { renderCart: renderCart, applyDiscount: applyDiscount, loadCart: loadCart };
