/* Render every Plotly figure embedded with Django's json_script: an element with
   data-chart="<id of the script tag>" gets Plotly.newPlot(data, layout). No inline handlers. */
(function () {
  "use strict";
  function render() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      var layout = Object.assign({}, figure.layout || {}, { autosize: true });
      window.Plotly.newPlot(element, figure.data || [], layout, {
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ["lasso2d", "select2d"]
      });
    });
  }
  /* The picker: choosing a preset other than custom/campaign clears the other fields so
     the URL says exactly what was chosen. */
  function wirePicker() {
    document.querySelectorAll(".date-range").forEach(function (fieldset) {
      var form = fieldset.closest("form");
      var preset = fieldset.querySelector("select[name=range]");
      if (!form || !preset) { return; }
      form.addEventListener("submit", function () {
        var value = preset.value;
        fieldset.querySelectorAll("input[type=date]").forEach(function (input) {
          input.disabled = value !== "custom";
        });
        var campaign = fieldset.querySelector("select[name=campaign]");
        if (campaign) { campaign.disabled = value !== "campaign"; }
      });
      fieldset.querySelectorAll("input[type=date]").forEach(function (input) {
        input.addEventListener("change", function () { preset.value = "custom"; });
      });
      var campaign = fieldset.querySelector("select[name=campaign]");
      if (campaign) {
        campaign.addEventListener("change", function () { if (campaign.value) { preset.value = "campaign"; } });
      }
    });
  }
  /* Bars whose width is data (data-width="42" -> 42%): templates carry no inline CSS, so
     the Content-Security-Policy can refuse inline <style> outright. */
  function sizeBars() {
    document.querySelectorAll("[data-width]").forEach(function (element) {
      var value = Math.max(0, Math.min(100, parseFloat(element.getAttribute("data-width")) || 0));
      element.style.width = value + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { sizeBars(); wirePicker(); render(); });
})();
