// vulnshop search page
//
// Renders search results and the promotion banner.
// Results come from GET /products?q=...
function showResults(query, results) {
  var box = document.getElementById("results");
  box.innerHTML = "<h2>Results for " + query + "</h2>";
  results.forEach(function (r) {
    box.innerHTML += "<p>" + r.name + "</p>";
  });
}

function showBanner() {
  var message = decodeURIComponent(window.location.hash.slice(1));
  document.write("<div class='banner'>" + message + "</div>");
}

function compileFilter(source) {
  return new Function("item", "return " + source);
}

function showSuggestion(text) {
  document.getElementById("suggest").insertAdjacentHTML("beforeend", "<li>" + text + "</li>");
}

window.vulnshopSearch = { showResults: showResults, showBanner: showBanner, compileFilter: compileFilter, showSuggestion: showSuggestion };
