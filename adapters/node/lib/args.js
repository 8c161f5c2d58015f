// Request arguments: presence and type checks, base64 data, timeouts, option values
// (same rules as reference_impl/engine.py Args).

'use strict';

const { bad } = require('./errors');

const DEFAULT_TIMEOUT = 5;

const MISSING = Symbol('missing');

function isInt(v) {
  return typeof v === 'number' && Number.isInteger(v);
}
const TYPES = {
  int: isInt,
  number: (v) => typeof v === 'number' && Number.isFinite(v),
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
  return args[name];
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

module.exports = { TYPES, isInt, arg, timeoutArg, dataArg, familyArg, boolValue, intValue };
