// Boxes, labels and probability bars on a canvas, laid out as the command line draws them
// (emostudy.recognition.drawing.draw_faces): one colour per emotion, "happy 93%" above the box
// (inside it when there is no room), "#id" in front for a tracked face, and one bar per class to
// the right of the box when it fits.

/** A BGR triple (OpenCV order, as drawing.EMOTION_COLORS stores it) as a CSS colour. */
export const cssColor = ([b, g, r]) => `rgb(${r}, ${g}, ${b})`;

/** The label a face gets: "happy 93%", or "#2 happy 93%" for a tracked face. */
export function faceLabel(face, classes) {
  const best = argmax(face.probabilities);
  const text = `${classes[best]} ${Math.round(face.probabilities[best] * 100)}%`;
  return face.trackId === undefined ? text : `#${face.trackId} ${text}`;
}

export function argmax(values) {
  let best = 0;
  values.forEach((v, i) => {
    if (v > values[best]) best = i;
  });
  return best;
}

/** Draw `faces` on a 2-D context whose canvas holds the image at its own size. */
export function drawFaces(ctx, faces, classes, colors, { bars = true } = {}) {
  const { width, height } = ctx.canvas;
  const scale = Math.max(width, height) / 640;
  const thickness = Math.max(1, Math.round(2 * scale));
  const fontScale = 0.5 * Math.max(scale, 0.6);
  const fontPx = Math.max(9, Math.round(26 * fontScale));
  ctx.save();
  ctx.font = `${fontPx}px sans-serif`;
  ctx.textBaseline = "top";
  for (const face of faces) {
    const name = classes[argmax(face.probabilities)];
    const color = cssColor(colors[name] || [0, 255, 0]);
    const [x, y, w, h] = face.box.map(Math.round);
    ctx.strokeStyle = color;
    ctx.lineWidth = thickness;
    ctx.strokeRect(x, y, w, h);
    const label = faceLabel(face, classes);
    const tw = Math.ceil(ctx.measureText(label).width);
    const th = fontPx + 4;
    const top = y - th - 2 >= 0 ? y - th - 2 : y + h;
    ctx.fillStyle = color;
    ctx.fillRect(x, top, tw + 4, th + 2);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, x + 2, top + 3);
    if (bars) drawBars(ctx, face, classes, colors, x + w + 3, y, Math.max(h, 7 * 6));
  }
  ctx.restore();
}

function drawBars(ctx, face, classes, colors, x0, y0, height) {
  const n = classes.length;
  const row = Math.max(5, Math.floor(height / n));
  const width = Math.max(30, Math.floor(row * 5));
  if (x0 + width >= ctx.canvas.width) return; // no room on the right: the label says enough
  classes.forEach((name, i) => {
    const top = y0 + i * row;
    if (top + row - 1 >= ctx.canvas.height) return;
    ctx.fillStyle = "rgb(40, 40, 40)";
    ctx.fillRect(x0, top, width + 1, row - 1);
    ctx.fillStyle = cssColor(colors[name] || [0, 255, 0]);
    ctx.fillRect(x0, top, Math.round(width * face.probabilities[i]) + 1, row - 1);
  });
}
