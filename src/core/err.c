/* err.c — the error table. Pure data; safe from any thread. */
#include "core/err.h"

#include <stddef.h>

static const struct {
	int code;
	int http;
	const char *text;
} table[CH_ERR__COUNT] = {
	[CH_OK] = {0, 200, "ok"},
	[CH_ERR_BAD_JSON] = {1001, 400, "malformed JSON or wrong type"},
	[CH_ERR_MISSING_FIELD] = {1002, 400, "required field missing"},
	[CH_ERR_OUT_OF_RANGE] = {1003, 400, "value out of range"},
	[CH_ERR_MEDIA_TYPE] = {1004, 415, "body must be application/json"},
	[CH_ERR_TOO_LARGE] = {1005, 413, "body too large"},
	[CH_ERR_NO_TOKEN] = {2001, 401, "missing or malformed token"},
	[CH_ERR_TOKEN_EXPIRED] = {2002, 401, "token expired"},
	[CH_ERR_TOKEN_REVOKED] = {2003, 401, "token revoked"},
	[CH_ERR_BAD_LOGIN] = {2004, 401, "bad login or password"},
	[CH_ERR_WRONG_KIND] = {2005, 403, "wrong token kind for this endpoint"},
	[CH_ERR_NOT_ACTIVE] = {2006, 403, "operator not active"},
	[CH_ERR_NOT_FOUND] = {3001, 404, "not found"},
	[CH_ERR_CONFLICT] = {3002, 409, "conflict"},
	[CH_ERR_RATE_LIMITED] = {4001, 429, "rate limited"},
	[CH_ERR_INTERNAL] = {5001, 500, "internal error"},
	[CH_ERR_STORE] = {5002, 503, "store unavailable"},
	[CH_ERR_METHOD] = {1006, 405, "method not allowed"},
	[CH_ERR_BUSY] = {5003, 503, "server busy, retry later"},
	[CH_ERR_GONE] = {3003, 410, "no longer kept"},
};

static int valid(ch_err e) { return (int)e >= 0 && e < CH_ERR__COUNT; }

int ch_err_code(ch_err e) { return valid(e) ? table[e].code : 5001; }
int ch_err_http_status(ch_err e) { return valid(e) ? table[e].http : 500; }
const char *ch_err_text(ch_err e) { return valid(e) ? table[e].text : "internal error"; }
const char *ch_err_reason(ch_err e) { return ch_http_reason(ch_err_http_status(e)); }

const char *ch_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}
