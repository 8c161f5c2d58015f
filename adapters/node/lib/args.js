// Request arguments: presence and type checks, base64 data, timeouts, option values
// (same rules as reference_impl/engine.py Args).

'use strict';

const { bad } = require('./errors');

const DEFAULT_TIMEOUT = 5;

const MISSING = Symbol('missing');

// A number the request wrote as a fraction or with an exponent (5.0, 5e0). JSON.parse makes
// 5.0 the integer 5, but the protocol (1.3, §2.1) calls `port: 5.0` malformed: parseRequest
// keeps such numbers as a Fraction, which is a number but never an integer.
class Fraction {
  constructor(value) {
    this.value = value;
  }
}
const FRACTION_TAG = '\u0000fraction:';

// JSON.parse, with every number literal outside strings that has a '.', 'e' or 'E' turned
// into a Fraction (it crosses JSON.parse as a tagged string, revived below).
function parseRequest(line) {
  let text = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      text += line.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const token = /^-?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?/.exec(line.slice(i));
      const literal = token ? token[0] : c;
      text += /[.eE]/.test(literal) ? JSON.stringify(FRACTION_TAG + literal) : literal;
      i += literal.length;
    } else {
      text += c;
      i += 1;
    }
  }
  return JSON.parse(text, (key, value) => (typeof value === 'string' && value.startsWith(FRACTION_TAG)
    ? new Fraction(Number(value.slice(FRACTION_TAG.length))) : value));
}

function isInt(v) {
  return typeof v === 'number' && Number.isInteger(v);
}
const TYPES = {
  int: isInt,
  number: (v) => (typeof v === 'number' || v instanceof Fraction) && Number.isFinite(Number(v instanceof Fraction ? v.value : v)),
  str: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  dict: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
};

function arg(args, name, kind, dflt = MISSING) {
  const present = Object.prototype.hasOwnProperty.call(args, name);
  if (!present || (args[name] === null && dflt !== MISSING)) {
    if (dflt === MISSING) throw bad(`missing argument ${JSON.stringify(name)}`);
    return dflt;
  }
  if (!TYPES[kind](args[name])) throw bad(`argument ${JSON.stringify(name)} has the wrong type`);
  return args[name] instanceof Fraction ? args[name].value : args[name];
}

function timeoutArg(args) {
  const t = arg(args, 'timeout', 'number', DEFAULT_TIMEOUT);
  if (t < 0) throw bad('timeout must be >= 0');
  return t;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function dataArg(args) {
  const text = arg(args, 'data', 'str');
  if (!BASE64.test(text)) throw bad('invalid base64 data');
  return Buffer.from(text, 'base64');
}

function familyArg(args) {
  const family = arg(args, 'family', 'str');
  if (family !== 'ipv4' && family !== 'ipv6') throw bad(`unknown family ${JSON.stringify(family)}`);
  return family;
}

function boolValue(name, value) {
  if (typeof value !== 'boolean') throw bad(`option ${name} takes a bool`);
  return value;
}
function intValue(name, value) {
  if (!isInt(value)) throw bad(`option ${name} takes an integer`);
  return value;
}

module.exports = { Fraction, parseRequest, TYPES, isInt, arg, timeoutArg, dataArg, familyArg, boolValue, intValue };
