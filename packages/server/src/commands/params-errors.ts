/**
 * Why a call's parameters were refused (PROTOCOL.md 5.1), and how each
 * protocol words it: JSON-RPC `-32602 Invalid params` with a `data` text as
 * OpenSIPS 3 sends it, legacy text the OpenSIPS 2.4 status lines.
 */

const INVALID_PARAMS_BRAND = Symbol.for('@mi-datagram/server.InvalidParamsError');

/**
 * What went wrong; callers match on this, never on the text.
 *
 * - `count`: no recipe takes that many parameters;
 * - `names`: a recipe takes that many named parameters, but not these names;
 * - `ambiguous`: several recipes take that many positional parameters;
 * - `named-only`: the command refuses positional parameters;
 * - `type`: a value cannot be converted to its parameter's type;
 * - `array-item`: an item of an array parameter is not a string or number;
 * - `empty-array`: an array parameter is empty;
 * - `command`: the handler refused a value (`Bad PID`).
 */
export type InvalidParamsReason =
  | 'count'
  | 'names'
  | 'ambiguous'
  | 'named-only'
  | 'type'
  | 'array-item'
  | 'empty-array'
  | 'command';

/** The `data` texts of OpenSIPS 3 (mi/mi.h, mi/item.c), by reason. */
function detailOf(reason: Exclude<InvalidParamsReason, 'command'>, param: string | null): string {
  switch (reason) {
    case 'count':
      return 'Too few or too many parameters';
    case 'names':
      return 'Named parameters do not match';
    case 'ambiguous':
      return 'Ambiguous call, use named parameters instead';
    case 'named-only':
      return 'Command only supports named parameters';
    case 'type':
      return `Bad type for parameter '${param ?? ''}'`;
    case 'array-item':
      return `Bad type for array item in parameter '${param ?? ''}'`;
    case 'empty-array':
      return `Empty array in parameter '${param ?? ''}'`;
  }
}

/**
 * The parameters of a call do not fit the command. The matcher produces it
 * before a handler runs; a handler throws it (`new InvalidParamsError('Bad
 * PID')`) to refuse a value itself. JSON-RPC answers
 * `{"code":-32602,"message":"Invalid params","data":detail}`; legacy text
 * answers `400 Too few or too many arguments` (reason `count`) or
 * `400 Bad parameter` (any other reason).
 */
export class InvalidParamsError extends Error {
  readonly code = 'INVALID_PARAMS' as const;
  readonly reason: InvalidParamsReason;
  /** The parameter concerned (`type`, `array-item`, `empty-array`), else `null`. */
  readonly param: string | null;
  /** The JSON-RPC `data` text (one line). */
  readonly detail: string;

  /** A handler's own refusal: `detail` is sent as the JSON-RPC `data`. */
  constructor(detail: string);
  constructor(detail: string, reason: InvalidParamsReason, param?: string | null);
  constructor(
    detail: string,
    reason: InvalidParamsReason = 'command',
    param: string | null = null,
  ) {
    super(`Invalid params: ${detail}`);
    this.name = 'InvalidParamsError';
    this.reason = reason;
    this.param = param;
    this.detail = detail;
    Object.defineProperty(this, INVALID_PARAMS_BRAND, { value: true });
  }

  /** The error of a matcher outcome, worded as OpenSIPS 3 words it. */
  static of(
    reason: Exclude<InvalidParamsReason, 'command'>,
    param: string | null = null,
  ): InvalidParamsError {
    return new InvalidParamsError(detailOf(reason, param), reason, param);
  }
}

/** True for an {@link InvalidParamsError}, also one made by another copy of this package. */
export function isInvalidParamsError(error: unknown): error is InvalidParamsError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[INVALID_PARAMS_BRAND] === true
  );
}

/** JSON-RPC code and message of every parameter error. */
export const INVALID_PARAMS_CODE = -32602;
export const INVALID_PARAMS_MESSAGE = 'Invalid params';

/** The JSON-RPC error object of a parameter error. */
export function invalidParamsJsonError(error: InvalidParamsError): {
  readonly code: number;
  readonly message: string;
  readonly data: string;
} {
  return { code: INVALID_PARAMS_CODE, message: INVALID_PARAMS_MESSAGE, data: error.detail };
}

/** The legacy status of a wrong parameter count (OpenSIPS 2.4 wording). */
export const LEGACY_COUNT_ERROR = Object.freeze({
  code: 400,
  reason: 'Too few or too many arguments',
});
/** The legacy status of any other parameter error (OpenSIPS 2.4 wording). */
export const LEGACY_BAD_PARAMETER = Object.freeze({ code: 400, reason: 'Bad parameter' });

/** Code and reason of a legacy status line. */
export interface LegacyStatus {
  readonly code: number;
  readonly reason: string;
}

/**
 * The legacy reply status of a parameter error. `countError` replaces the
 * default for `count` (a command whose 2.4 original worded it differently,
 * e.g. `404 Too few arguments`).
 */
export function invalidParamsLegacyStatus(
  error: InvalidParamsError,
  countError: LegacyStatus = LEGACY_COUNT_ERROR,
): LegacyStatus {
  return error.reason === 'count' ? countError : LEGACY_BAD_PARAMETER;
}
