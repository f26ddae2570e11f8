// Units and calibration per series: shown = raw × scale + offset, in `unit`. Kept in the
// URL as `cal=name:scale:offset:unit;…`. Presets for the shipped sketch.

/** ADXL335 on a 5 V Uno's 10-bit ADC: 0 g ≈ 338 counts, ≈ 67.6 counts per g. */
export const ADXL335_UNO = { scale: 1 / 67.6, offset: -338 / 67.6, unit: "g" };

export const IDENTITY = { scale: 1, offset: 0, unit: "" };

export function apply(calibration, raw) {
  return raw * calibration.scale + calibration.offset;
}

/** The calibration from a zero level and counts per unit (what a user can read off a board). */
export function fromZeroAndSensitivity(zero, perUnit, unit) {
  if (!Number.isFinite(zero) || !Number.isFinite(perUnit) || perUnit === 0) throw new Error("counts per unit must be a number other than 0");
  return { scale: 1 / perUnit, offset: -zero / perUnit, unit: unit || "" };
}

/** `cal=` text → Map(name → calibration); what cannot be read is left out and reported. */
export function parseCalibrations(text) {
  const out = new Map(), errors = [];
  for (const part of (text || "").split(";")) {
    if (!part) continue;
    const fields = part.split(":");
    // The fields are percent-encoded (a name may hold ':' or ';'); a stray '%' is an error
    // of this entry, not of the page.
    let name, unit;
    try {
      name = decodeURIComponent(fields[0] || "");
      unit = Array.from(decodeURIComponent(fields.slice(3).join(":") || "")).slice(0, 16).join("");
    } catch (error) {
      errors.push("calibration '" + part + "' has a '%' that is not an escape");
      continue;
    }
    const scale = Number(fields[1]), offset = Number(fields[2] || 0);
    if (!name || !Number.isFinite(scale) || scale === 0 || !Number.isFinite(offset)) {
      errors.push("calibration '" + part + "' is not name:scale:offset:unit with a scale other than 0");
      continue;
    }
    out.set(name, { scale, offset, unit });
  }
  return { calibrations: out, errors };
}

export function formatCalibrations(calibrations) {
  const parts = [];
  for (const [name, c] of calibrations) {
    if (c.scale === 1 && c.offset === 0 && !c.unit) continue;
    // A lone UTF-16 half (a string cut in a pair) cannot be encoded: written as U+FFFD.
    const encode = (text) => encodeURIComponent(String(text).toWellFormed ? String(text).toWellFormed() : String(text).replace(/[\uD800-\uDFFF]/g, "\uFFFD"));
    parts.push([encode(name), String(c.scale), String(c.offset), encode(c.unit || "")].join(":"));
  }
  return parts.join(";");
}

/**
 * Pitch and roll (degrees) from a 3-axis reading in g; null when the magnitude is not near
 * 1 g (the board is moving, or the values are not in g), so no nonsense angle is shown.
 */
export function tilt(x, y, z, tolerance = 0.25) {
  const magnitude = Math.hypot(x, y, z);
  if (!Number.isFinite(magnitude) || Math.abs(magnitude - 1) > tolerance) return null;
  return {
    pitch: Math.atan2(-x, Math.hypot(y, z)) * 180 / Math.PI,
    roll: Math.atan2(y, z) * 180 / Math.PI,
  };
}
