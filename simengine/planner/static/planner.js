/* simengine planner page: keeps each share slider and its number box in step, and records how
   long every update took in the browser (data-latency-ms on #results). No other state. */
(function () {
  var started = 0;
  document.addEventListener('input', function (event) {
    var source = event.target;
    if (source.dataset && source.dataset.sync) {
      var box = document.getElementById(source.dataset.sync);
      if (box) { box.value = source.value; }
    } else if (source.id) {
      var slider = document.getElementById(source.id + '-slider');
      if (slider && source.value !== '') { slider.value = source.value; }
    }
  }, true);
  document.addEventListener('htmx:beforeRequest', function (event) {
    if (event.detail.elt && event.detail.elt.id === 'package') { started = performance.now(); }
  });
  document.addEventListener('htmx:afterSettle', function (event) {
    var results = document.getElementById('results');
    if (started && results && results.dataset.latencyMs === undefined) {
      results.dataset.latencyMs = (performance.now() - started).toFixed(1);
      started = 0;
    }
  });
})();
