// The collection calendar (dashboard/chart.py calendar): a row per outlet, a cell per day, drawn on a canvas.
// Names are drawn as canvas text and shown in the hover with textContent: they never become markup.
const ROW = 18;                 // px per outlet, as the Plotly heatmap had
const AXIS = 22;                // the month labels above the cells
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function legendOf(data) {
  const legend = document.createElement("div");
  legend.style.cssText = "display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;margin:4px 0 6px";
  data.legend.forEach((meaning, code) => {
    const item = document.createElement("span");
    const swatch = document.createElement("span");
    swatch.style.cssText = `display:inline-block;width:10px;height:10px;margin-right:6px;background:${data.colors[code]}`;
    item.append(swatch, document.createTextNode(meaning));
    legend.append(item);
  });
  return legend;
}

// where each label of the day axis goes: the first day, and the first of each month, as room allows
function ticks(days) {
  return days.flatMap((day, i) => {
    if (i > 0 && !day.endsWith("-01")) return [];
    const month = MONTHS[Number(day.slice(5, 7)) - 1];
    return [[i, i === 0 ? day : (day.slice(5, 7) === "01" ? `${month} ${day.slice(0, 4)}` : month)]];
  });
}

function draw(canvas, data, box) {
  const width = Math.max(box.clientWidth, 200);
  const height = AXIS + ROW * data.outlets.length;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const style = getComputedStyle(box);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.font = `12px ${style.fontFamily}`;
  ctx.fillStyle = style.color;
  ctx.textBaseline = "middle";
  const widest = Math.max(0, ...data.outlets.map((name) => ctx.measureText(name).width));
  const left = Math.min(widest + 12, width * 0.4);
  const cell = (width - left) / Math.max(data.days.length, 1);
  ctx.textAlign = "right";
  data.outlets.forEach((name, row) => {
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, AXIS + row * ROW, left - 6, ROW);
    ctx.clip();     // a long name is cut at the cells, not drawn over them
    ctx.fillText(name, left - 6, AXIS + row * ROW + ROW / 2);
    ctx.restore();
  });
  ctx.textAlign = "left";
  let free = left;
  for (const [i, label] of ticks(data.days)) {
    const x = left + i * cell;
    if (x < free) continue;
    ctx.fillText(label, x, AXIS / 2);
    free = x + ctx.measureText(label).width + 8;
  }
  const gap = cell >= 4 ? 1 : 0;   // a year of days is a band, a month of them separate cells
  // whole pixels: cells at fractional ones leave faint seams in a band
  const edge = (day) => Math.round(left + day * cell);
  data.states.forEach((states, row) => {
    for (let day = 0; day < states.length; day += 1) {
      ctx.fillStyle = data.colors[Number(states[day])];
      ctx.fillRect(edge(day), AXIS + row * ROW, edge(day + 1) - edge(day) - gap, ROW - 1);
    }
  });
  return { left, cell };
}

export default function ({ data, parentElement }) {
  const box = parentElement.querySelector(".nr-calendar");
  box.style.position = "relative";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `Collection calendar: ${data.outlets.length} outlets, ` +
                                    `${data.days[0] || ""} to ${data.days[data.days.length - 1] || ""}`);
  const tip = document.createElement("div");
  tip.className = "nr-calendar-tip";
  tip.style.cssText = "position:absolute;display:none;pointer-events:none;white-space:nowrap;z-index:1;" +
                      "padding:2px 6px;border-radius:4px;font-size:12px;background:rgba(38,39,48,.92);color:#fff";
  box.replaceChildren(legendOf(data), canvas, tip);
  let layout = draw(canvas, data, box);
  canvas.addEventListener("mousemove", (event) => {
    const row = Math.floor((event.offsetY - AXIS) / ROW);
    const day = Math.floor((event.offsetX - layout.left) / layout.cell);
    if (row < 0 || row >= data.outlets.length || day < 0 || day >= data.days.length) {
      tip.style.display = "none";
      return;
    }
    const n = data.counts[row][day];
    const state = data.legend[Number(data.states[row][day])];
    tip.textContent = `${data.outlets[row]} · ${data.days[day]}: ${n.toLocaleString("en-US")} ` +
                      `${n === 1 ? "article" : "articles"} (${state})`;
    tip.style.display = "block";
    const x = canvas.offsetLeft + event.offsetX + 12;
    tip.style.left = `${Math.min(x, box.clientWidth - tip.offsetWidth)}px`;
    tip.style.top = `${canvas.offsetTop + event.offsetY + 14}px`;
  });
  canvas.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  let drawnWidth = box.clientWidth;
  const resized = new ResizeObserver(() => {    // a wider or narrower page; not the canvas's own height
    if (box.clientWidth === drawnWidth) return;
    drawnWidth = box.clientWidth;
    layout = draw(canvas, data, box);
  });
  resized.observe(box);
  return () => resized.disconnect();
}
