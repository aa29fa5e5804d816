/* Search suggestions while typing: the ARIA 1.2 combobox pattern over the header search field.
   Without JavaScript the field is a plain search form that submits to /search. */
(function () {
  "use strict";

  var DELAY = 200;       // ms of quiet typing before asking the server
  var MIN_LENGTH = 3;    // characters before suggestions are asked for (the server's index needs three)

  function enhance(input) {
    var list = document.getElementById(input.getAttribute("data-suggest-list"));
    var url = input.getAttribute("data-suggest-url");
    if (!list || !url) { return; }
    var timer = null;
    var controller = null;
    var items = [];
    var active = -1;
    var lastQuery = "";

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-haspopup", "listbox");

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      for (var i = 0; i < options.length; i += 1) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function go(index) {
      if (items[index] && items[index].url) { window.location.assign(items[index].url); }
    }

    function render(results) {
      items = results;
      while (list.firstChild) { list.removeChild(list.firstChild); }
      if (!results.length) { close(); return; }
      results.forEach(function (item, index) {
        var option = document.createElement("li");
        option.id = list.id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.className = "suggestion suggestion-" + item.type;
        var title = document.createElement("span");
        title.className = "suggestion-title";
        title.textContent = item.title;
        option.appendChild(title);
        if (item.subtitle) {
          var subtitle = document.createElement("span");
          subtitle.className = "suggestion-subtitle";
          subtitle.textContent = item.subtitle;
          option.appendChild(subtitle);
        }
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { go(index); });
        list.appendChild(option);
      });
      active = -1;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query === lastQuery && !list.hidden) { return; }
      lastQuery = query;
      if (query.length < MIN_LENGTH) { render([]); return; }
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      var options = {credentials: "same-origin", headers: {"Accept": "application/json"}};
      if (controller) { options.signal = controller.signal; }
      fetch(url + "?q=" + encodeURIComponent(query), options)
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (results) {
          if (input.value.trim() === query && Array.isArray(results)) { render(results); }
        })
        .catch(function () { /* aborted or offline: the form still works */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        if (!open) { lastQuery = ""; fetchSuggestions(); return; }
        event.preventDefault();
        highlight(active + 1 >= items.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) { return; }
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          go(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", close);
  }

  var inputs = document.querySelectorAll("input[data-suggest-url]");
  for (var i = 0; i < inputs.length; i += 1) { enhance(inputs[i]); }
}());
