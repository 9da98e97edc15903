// The chart component (dashboard/chart.py): draws a Plotly figure sent from Python with newsradar's own Plotly
// build, and reports a box dragged across it or a point clicked, in the shape of st.plotly_chart's selection state.
const BUNDLE = "app/static/plotly-newsradar.min.js";
let loading = null;

function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (loading === null) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = BUNDLE;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        loading = null;
        script.remove();
        reject(new Error(`${BUNDLE} could not be loaded`));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

// only plain values: a Plotly point also holds its trace, axes and figure
function point(p) {
  const out = { curve_number: p.curveNumber, point_number: p.pointNumber, x: p.x, y: p.y };
  for (const name of ["z", "location", "customdata", "text"]) {
    if (p[name] !== undefined) out[name] = p[name];
  }
  return out;
}

// the app's theme (light, or dark where the browser prefers it): the chart takes the page's text colour on a
// transparent background, as st.plotly_chart did with Streamlit's theme; a dark theme also gets faint grid lines
function themed(layout, element) {
  const color = getComputedStyle(element).color;
  const [red, green, blue] = (color.match(/\d+/g) || [0, 0, 0]).map(Number);
  const out = { ...layout, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
                font: { ...layout.font, color } };
  if (red + green + blue > 3 * 128) {   // light text: a dark theme
    for (const axis of new Set(["xaxis", "yaxis", ...Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k))])) {
      out[axis] = { ...layout[axis], gridcolor: "rgba(250,250,250,0.12)", zerolinecolor: "rgba(250,250,250,0.25)" };
    }
    if (layout.geo) out.geo = { ...layout.geo, bgcolor: "rgba(0,0,0,0)" };
  }
  return out;
}

function listen(div) {
  div.on("plotly_selected", (event) => {
    if (div.nrSelect !== "box" || !event || !event.range) return;   // a double click clears: not a choice
    div.nrSend("selection", { box: [{ x: event.range.x, y: event.range.y }], points: [] });
  });
  div.on("plotly_click", (event) => {
    if (!event) return;
    // in box mode a click picks nothing, but a spike's star (its customdata starts with "spike") is explained
    const points = div.nrSelect === "points" ? event.points
      : event.points.filter((p) => Array.isArray(p.customdata) && p.customdata[0] === "spike");
    if (points.length) div.nrSend("selection", { box: [], points: points.map(point) });
  });
}

// a map's outlines (app/static), fetched alongside Plotly's build: Plotly itself asks for them only once it has
// loaded and started drawing, a tenth of a second later; it takes what PlotlyGeoAssets already holds
function outlines(layout, config) {
  if (!layout.geo || !config.topojsonURL) return Promise.resolve();
  const name = `${layout.geo.scope || "world"}_${layout.geo.resolution || 110}m`;
  window.PlotlyGeoAssets = window.PlotlyGeoAssets || { topojson: {} };
  if (window.PlotlyGeoAssets.topojson[name] !== undefined) return Promise.resolve();
  return fetch(`${config.topojsonURL}${name}.json`)
    .then((response) => (response.ok ? response.json() : undefined))
    .then((json) => {
      if (json !== undefined) window.PlotlyGeoAssets.topojson[name] = json;
    })
    .catch(() => undefined);   // Plotly fetches them itself, and says so if it cannot
}

export default function ({ data, parentElement, setTriggerValue }) {
  const div = parentElement.querySelector(".nr-chart");
  const figure = JSON.parse(data.figure);
  div.style.minHeight = `${figure.layout.height || 450}px`;   // the page does not jump when the chart is drawn
  div.nrSend = setTriggerValue;
  div.nrSelect = data.select;
  delete div.dataset.drawn;   // set once this figure is drawn, map outlines included (tests and benchmarks wait on it)
  Promise.all([plotly(), outlines(figure.layout, data.config)])
    .then(([Plotly]) => Plotly.react(div, figure.data, themed(figure.layout, parentElement),
                                     { ...data.config, responsive: true }))
    .then(() => {
      if (!div.nrListening) {
        listen(div);
        div.nrListening = true;
      }
      div.dataset.drawn = "true";
    })
    .catch((error) => {
      div.textContent = `The chart could not be drawn: ${error.message}. Reload the page to try again.`;
    });
  return () => {
    if (window.Plotly) window.Plotly.purge(div);
  };
}
