(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-enhance]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.URLSearchParams) { return; }
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      var body = new URLSearchParams(new FormData(form));
      fetch(form.action, { method: "POST", body: body, headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          var done = document.getElementById(form.getAttribute("data-enhance"));
          if (done) { done.hidden = false; done.classList.add("shown"); done.focus(); }
          form.reset();
          form.hidden = true;
        })
        .catch(function () { form.submit(); });
    });
  });
})();
