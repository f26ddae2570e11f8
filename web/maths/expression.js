// Derived series from expressions over series (`mag = sqrt(x*x + y*y + z*z)`), parsed by a
// small parser of our own: no eval (the page's Content-Security-Policy forbids it anyway),
// only numbers, series, + - * / % ^ (power, right-associative), unary minus, parentheses,
// the functions and constants below. A series whose name is not a plain identifier is
// written in brackets: `[temp-1] * 2`. Errors say where (a 1-based column) and why.

const FUNCTIONS = {
  sqrt: [1, Math.sqrt], abs: [1, Math.abs], exp: [1, Math.exp], log: [1, Math.log], log10: [1, Math.log10],
  sin: [1, Math.sin], cos: [1, Math.cos], tan: [1, Math.tan], asin: [1, Math.asin], acos: [1, Math.acos],
  atan: [1, Math.atan], floor: [1, Math.floor], ceil: [1, Math.ceil], round: [1, Math.round], sign: [1, Math.sign],
  atan2: [2, Math.atan2], pow: [2, Math.pow], min: [-1, Math.min], max: [-1, Math.max], hypot: [-1, Math.hypot],
};
const CONSTANTS = { pi: Math.PI, e: Math.E };
const MAX_LENGTH = 500;
const MAX_DEPTH = 64;

export class ExpressionError extends Error {
  constructor(message, column) {
    super("at " + column + ": " + message);
    this.column = column;
  }
}

function tokenize(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t") { i++; continue; }
    const start = i + 1;
    if (/[0-9.]/.test(c)) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
      if (!m) throw new ExpressionError("'" + c + "' does not start a number", start);
      tokens.push({ kind: "number", value: Number(m[0]), column: start });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
      tokens.push({ kind: "name", value: m[0], column: start });
      i += m[0].length;
    } else if (c === "[") {
      const end = text.indexOf("]", i + 1);
      if (end < 0) throw new ExpressionError("a '[' with no ']' after it", start);
      const name = text.slice(i + 1, end);
      if (!name) throw new ExpressionError("'[]' names no series", start);
      tokens.push({ kind: "series", value: name, column: start });
      i = end + 1;
    } else if ("+-*/%^(),".includes(c)) {
      if (c === "*" && text[i + 1] === "*") { tokens.push({ kind: "^", column: start }); i += 2; continue; }
      tokens.push({ kind: c, column: start });
      i++;
    } else {
      throw new ExpressionError("'" + c + "' is not allowed here (numbers, series, + - * / % ^, parentheses, functions)", start);
    }
  }
  tokens.push({ kind: "end", column: text.length + 1 });
  return tokens;
}

/**
 * Parses an expression into a function of a row: series name → value, or, given `slotOf`
 * (name → index in an array, or -1 for a series not there: no value), of an array of values
 * (a page evaluating it for every sample: no name is looked up a sample).
 * @returns {{evaluate: (values: Object<string, number> | ArrayLike<number>) => number, series: string[]}}
 */
export function parseExpression(text, slotOf) {
  if (typeof text !== "string" || !text.trim()) throw new ExpressionError("the expression is empty", 1);
  if (text.length > MAX_LENGTH) throw new ExpressionError("longer than " + MAX_LENGTH + " characters", MAX_LENGTH + 1);
  const tokens = tokenize(text);
  let p = 0, depth = 0;
  const series = new Set();
  const peek = () => tokens[p];
  const take = (kind, what) => {
    const t = tokens[p];
    if (t.kind !== kind) throw new ExpressionError("expected " + what + (t.kind === "end" ? " at the end" : ""), t.column);
    p++;
    return t;
  };
  function nested(parse) {
    if (++depth > MAX_DEPTH) throw new ExpressionError("nested too deeply", peek().column);
    try { return parse(); } finally { depth--; }
  }
  function additive() {
    let left = multiplicative();
    while (peek().kind === "+" || peek().kind === "-") {
      const op = tokens[p++].kind, right = multiplicative(), l = left;
      left = op === "+" ? (v) => l(v) + right(v) : (v) => l(v) - right(v);
    }
    return left;
  }
  function multiplicative() {
    let left = unary();
    while (["*", "/", "%"].includes(peek().kind)) {
      const op = tokens[p++].kind, right = unary(), l = left;
      left = op === "*" ? (v) => l(v) * right(v) : op === "/" ? (v) => l(v) / right(v) : (v) => l(v) % right(v);
    }
    return left;
  }
  function unary() {
    if (peek().kind === "-") { p++; const inner = nested(unary); return (v) => -inner(v); }
    if (peek().kind === "+") { p++; return nested(unary); }
    return power();
  }
  function power() {
    const base = primary();
    if (peek().kind !== "^") return base;
    p++;
    const exponent = nested(unary);  // right-associative: 2^3^2 = 2^9; 2^-1 = 0.5
    return (v) => Math.pow(base(v), exponent(v));
  }
  function reference(name) {
    series.add(name);
    if (!slotOf) return (v) => value(v, name);
    const slot = slotOf(name);
    if (!(slot >= 0)) return () => NaN;
    return (v) => v[slot];
  }
  function primary() {
    const t = peek();
    if (t.kind === "number") { p++; const value = t.value; return () => value; }
    if (t.kind === "series") { p++; return reference(t.value); }
    if (t.kind === "(") {
      p++;
      const inner = nested(additive);
      take(")", "')'");
      return inner;
    }
    if (t.kind === "name") {
      p++;
      if (peek().kind === "(") {
        const fn = Object.hasOwn(FUNCTIONS, t.value) ? FUNCTIONS[t.value] : null;
        if (!fn) throw new ExpressionError("'" + t.value + "' is not a function (" + Object.keys(FUNCTIONS).join(", ") + ")", t.column);
        p++;
        const args = [];
        if (peek().kind !== ")") {
          args.push(nested(additive));
          while (peek().kind === ",") { p++; args.push(nested(additive)); }
        }
        take(")", "')' to close " + t.value + "(");
        const [arity, f] = fn;
        if (arity >= 0 && args.length !== arity) {
          throw new ExpressionError(t.value + " takes " + arity + " argument" + (arity === 1 ? "" : "s") + ", not " + args.length, t.column);
        }
        if (arity < 0 && args.length === 0) throw new ExpressionError(t.value + " needs at least one argument", t.column);
        // One closure per arity: no array made per call (a page evaluates this per sample).
        const [a0, a1] = args;
        if (args.length === 1) return (v) => f(a0(v));
        if (args.length === 2) return (v) => f(a0(v), a1(v));
        return (v) => f(...args.map((a) => a(v)));
      }
      if (Object.hasOwn(CONSTANTS, t.value)) { const c = CONSTANTS[t.value]; return () => c; }
      return reference(t.value);
    }
    throw new ExpressionError(t.kind === "end" ? "the expression ends too soon" : "unexpected '" + t.kind + "'", t.column);
  }
  const evaluate = additive();
  if (peek().kind !== "end") throw new ExpressionError("unexpected '" + (peek().value ?? peek().kind) + "' after a complete expression", peek().column);
  return { evaluate, series: [...series] };
}

function value(values, name) {
  const v = values[name];
  return typeof v === "number" ? v : NaN;  // a series without a value in this row: no value
}

/** `name = expression` → {name, expression, evaluate, series} (`slotOf` as for parseExpression). */
export function parseDefinition(text, slotOf) {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)$/.exec(text || "");
  if (!m) throw new ExpressionError("write name = expression, e.g. mag = sqrt(x*x + y*y + z*z)", 1);
  const offset = text.indexOf("=") + 1;
  try {
    const parsed = parseExpression(m[2], slotOf);
    if (parsed.series.includes(m[1])) throw new ExpressionError("'" + m[1] + "' cannot be defined from itself", 1);
    return { name: m[1], expression: m[2].trim(), ...parsed };
  } catch (error) {
    if (error instanceof ExpressionError && error.column > 1) throw new ExpressionError(error.message.replace(/^at \d+: /, ""), error.column + offset);
    throw error;
  }
}
