// Pixel operations of the recognizer, ported once from the OpenCV calls the Python library makes.
//
// Each function names the Python/OpenCV call it reproduces; tests/test_try_it.py runs these
// functions in Chromium on the same pixels as the Python library and compares the outputs.
// Images are plain objects {width, height, channels, data: Uint8Array} (rows top to bottom,
// channels interleaved, BGR order for colour images, as OpenCV keeps them).

/** Round half to even, as OpenCV's cvRound / saturate_cast do (lrint). */
export function roundHalfEven(v) {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const clampByte = (v) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** RGBA pixels of a canvas (ImageData) as a 3-channel BGR image. */
export function rgbaToBgr(rgba, width, height) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i + 2];
    data[j + 1] = rgba[i + 1];
    data[j + 2] = rgba[i];
  }
  return { width, height, channels: 3, data };
}

/** `cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)`: fixed-point weights 3735, 19235, 9798 over 2**15. */
export function bgrToGray(image) {
  const { width, height, data } = image;
  const gray = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < gray.length; i += 1, j += 3) {
    gray[i] = (data[j] * 3735 + data[j + 1] * 19235 + data[j + 2] * 9798 + 16384) >> 15;
  }
  return { width, height, channels: 1, data: gray };
}

// OpenCV's table of source cells for area resampling (computeResizeAreaTab in resize.cpp).
function areaTable(srcSize, dstSize, scale) {
  const table = [];
  for (let d = 0; d < dstSize; d += 1) {
    const f1 = d * scale;
    const f2 = f1 + scale;
    const cell = Math.min(scale, srcSize - f1);
    let s1 = Math.ceil(f1);
    let s2 = Math.floor(f2);
    s2 = Math.min(s2, srcSize - 1);
    s1 = Math.min(s1, s2);
    if (s1 - f1 > 1e-3) table.push([d, s1 - 1, Math.fround((s1 - f1) / cell)]);
    for (let s = s1; s < s2; s += 1) table.push([d, s, Math.fround(1 / cell)]);
    if (f2 - s2 > 1e-3) {
      table.push([d, s2, Math.fround(Math.min(Math.min(f2 - s2, 1), cell) / cell)]);
    }
  }
  return table;
}

/**
 * `cv2.resize(image, (dstWidth, dstHeight), interpolation=cv2.INTER_AREA)` for shrinking.
 *
 * Integer factors average whole blocks (OpenCV's fast path: half-up rounding for 2x2 blocks, as
 * its SIMD code does, half-to-even otherwise); other factors weight partial source cells by their
 * overlap, accumulated in float32 as OpenCV does.
 */
export function resizeArea(image, dstWidth, dstHeight) {
  const { width, height, channels: cn, data } = image;
  if (dstWidth === width && dstHeight === height) return { ...image, data: data.slice() };
  if (dstWidth > width || dstHeight > height) throw new Error("resizeArea only shrinks images");
  const out = new Uint8Array(dstWidth * dstHeight * cn);
  const scaleX = width / dstWidth;
  const scaleY = height / dstHeight;
  const ix = Math.round(scaleX);
  const iy = Math.round(scaleY);
  const eps = 2.220446049250313e-16;
  if (Math.abs(scaleX - ix) < eps && Math.abs(scaleY - iy) < eps) {
    const area = ix * iy;
    const inv = Math.fround(1 / area);
    for (let dy = 0; dy < dstHeight; dy += 1) {
      for (let dx = 0; dx < dstWidth; dx += 1) {
        for (let c = 0; c < cn; c += 1) {
          let sum = 0;
          for (let y = dy * iy; y < dy * iy + iy; y += 1) {
            const row = y * width;
            for (let x = dx * ix; x < dx * ix + ix; x += 1) sum += data[(row + x) * cn + c];
          }
          out[(dy * dstWidth + dx) * cn + c] =
            area === 4 ? (sum + 2) >> 2 : clampByte(roundHalfEven(Math.fround(sum * inv)));
        }
      }
    }
    return { width: dstWidth, height: dstHeight, channels: cn, data: out };
  }
  const xtab = areaTable(width, dstWidth, scaleX);
  const ytab = areaTable(height, dstHeight, scaleY);
  const buf = new Float32Array(dstWidth * cn);
  const sum = new Float32Array(dstWidth * cn);
  let current = -1;
  const flush = (dy) => {
    for (let i = 0; i < sum.length; i += 1) {
      out[dy * dstWidth * cn + i] = clampByte(roundHalfEven(sum[i]));
    }
  };
  for (const [dy, sy, beta] of ytab) {
    buf.fill(0);
    const row = sy * width * cn;
    for (const [dx, sx, alpha] of xtab) {
      for (let c = 0; c < cn; c += 1) {
        const k = dx * cn + c;
        buf[k] = Math.fround(buf[k] + Math.fround(data[row + sx * cn + c] * alpha));
      }
    }
    if (dy !== current) {
      if (current >= 0) flush(current);
      current = dy;
      for (let i = 0; i < sum.length; i += 1) sum[i] = Math.fround(beta * buf[i]);
    } else {
      for (let i = 0; i < sum.length; i += 1) sum[i] = Math.fround(sum[i] + Math.fround(beta * buf[i]));
    }
  }
  if (current >= 0) flush(current);
  return { width: dstWidth, height: dstHeight, channels: cn, data: out };
}

/**
 * `cv2.warpAffine(gray, M, (outW, outH), flags=INTER_LINEAR | WARP_INVERSE_MAP,
 * borderMode=BORDER_REPLICATE)` for a one-channel image; M maps output pixels to source pixels.
 *
 * OpenCV's fixed-point arithmetic: source coordinates in 1/1024 pixel rounded to 1/32 pixel,
 * bilinear weights in 1/32 steps scaled to 2**15, edge pixels repeated outside the image.
 */
export function warpAffineGray(gray, matrix, outW, outH) {
  const { width, height, data } = gray;
  const [m0, m1, m2, m3, m4, m5] = matrix;
  const out = new Uint8Array(outW * outH);
  const at = (x, y) => {
    const cx = x < 0 ? 0 : x >= width ? width - 1 : x;
    const cy = y < 0 ? 0 : y >= height ? height - 1 : y;
    return data[cy * width + cx];
  };
  const adelta = new Int32Array(outW);
  const bdelta = new Int32Array(outW);
  for (let x = 0; x < outW; x += 1) {
    adelta[x] = roundHalfEven(m0 * x * 1024);
    bdelta[x] = roundHalfEven(m3 * x * 1024);
  }
  for (let y = 0; y < outH; y += 1) {
    const X0 = roundHalfEven((m1 * y + m2) * 1024) + 16;
    const Y0 = roundHalfEven((m4 * y + m5) * 1024) + 16;
    for (let x = 0; x < outW; x += 1) {
      const X = (X0 + adelta[x]) >> 5;
      const Y = (Y0 + bdelta[x]) >> 5;
      const ix = X >> 5;
      const iy = Y >> 5;
      const fx = X & 31;
      const fy = Y & 31;
      const v =
        at(ix, iy) * (32 - fx) * (32 - fy) +
        at(ix + 1, iy) * fx * (32 - fy) +
        at(ix, iy + 1) * (32 - fx) * fy +
        at(ix + 1, iy + 1) * fx * fy;
      out[y * outW + x] = clampByte((v * 32 + 16384) >> 15);
    }
  }
  return { width: outW, height: outH, channels: 1, data: out };
}
