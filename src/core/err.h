/* err.h — the one error enum of ChatHub and its table.
 *
 * Every fallible function returns ch_err. One table (err.c) maps each error to
 * its HTTP status, its stable API code, its HTTP reason phrase and the short
 * text a hub completion carries. Nothing else in the code base invents codes.
 */
#ifndef CH_CORE_ERR_H
#define CH_CORE_ERR_H

typedef enum ch_err {
	CH_OK = 0,
	CH_ERR_BAD_JSON,        /* 1001 400 malformed JSON or wrong type */
	CH_ERR_MISSING_FIELD,   /* 1002 400 required field missing */
	CH_ERR_OUT_OF_RANGE,    /* 1003 400 value out of range */
	CH_ERR_MEDIA_TYPE,      /* 1004 415 body is not application/json */
	CH_ERR_TOO_LARGE,       /* 1005 413 body too large */
	CH_ERR_NO_TOKEN,        /* 2001 401 no token / malformed token */
	CH_ERR_TOKEN_EXPIRED,   /* 2002 401 */
	CH_ERR_TOKEN_REVOKED,   /* 2003 401 */
	CH_ERR_BAD_LOGIN,       /* 2004 401 bad login or password */
	CH_ERR_WRONG_KIND,      /* 2005 403 wrong token kind for the endpoint */
	CH_ERR_NOT_ACTIVE,      /* 2006 403 operator not active */
	CH_ERR_NOT_FOUND,       /* 3001 404 (also: another company's id) */
	CH_ERR_CONFLICT,        /* 3002 409 illegal status transition, duplicate */
	CH_ERR_RATE_LIMITED,    /* 4001 429 */
	CH_ERR_INTERNAL,        /* 5001 500 */
	CH_ERR_STORE,           /* 5002 503 store unavailable */
	CH_ERR_METHOD,          /* 1006 405 method not allowed on this path */
	CH_ERR_BUSY,            /* 5003 503 a bounded queue is full: retry later */
	CH_ERR_GONE,            /* 3003 410 no longer kept (an event cursor older than the retention) */
	CH_ERR__COUNT
} ch_err;

/* Numeric API code of an error ("code" in the JSON error body). */
int ch_err_code(ch_err e);
/* HTTP status of an error. */
int ch_err_http_status(ch_err e);
/* HTTP reason phrase ("Bad Request"). Returns a static string. */
const char *ch_err_reason(ch_err e);
/* Short, client-safe text for hub completions and logs. Returns a static string. */
const char *ch_err_text(ch_err e);
/* Reason phrase of any HTTP status we emit (200, 201, 304, ...). Static string. */
const char *ch_http_reason(int status);

#endif
