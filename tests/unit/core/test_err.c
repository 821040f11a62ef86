/* The error table matches the contract's code table (spec: "Error codes"). */
#include <criterion/criterion.h>

#include "core/err.h"

Test(err, table_matches_the_contract)
{
	static const struct { ch_err e; int code, http; } want[] = {
		{CH_ERR_BAD_JSON, 1001, 400}, {CH_ERR_MISSING_FIELD, 1002, 400}, {CH_ERR_OUT_OF_RANGE, 1003, 400},
		{CH_ERR_MEDIA_TYPE, 1004, 415}, {CH_ERR_TOO_LARGE, 1005, 413}, {CH_ERR_METHOD, 1006, 405},
		{CH_ERR_NO_TOKEN, 2001, 401}, {CH_ERR_TOKEN_EXPIRED, 2002, 401}, {CH_ERR_TOKEN_REVOKED, 2003, 401},
		{CH_ERR_BAD_LOGIN, 2004, 401}, {CH_ERR_WRONG_KIND, 2005, 403}, {CH_ERR_NOT_ACTIVE, 2006, 403},
		{CH_ERR_NOT_FOUND, 3001, 404}, {CH_ERR_CONFLICT, 3002, 409}, {CH_ERR_RATE_LIMITED, 4001, 429},
		{CH_ERR_INTERNAL, 5001, 500}, {CH_ERR_STORE, 5002, 503}, {CH_ERR_BUSY, 5003, 503},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		cr_assert_eq(ch_err_code(want[i].e), want[i].code);
		cr_assert_eq(ch_err_http_status(want[i].e), want[i].http, "code %d", want[i].code);
		cr_assert_str_neq(ch_err_reason(want[i].e), "Unknown", "code %d", want[i].code);
	}
	cr_assert_eq(ch_err_code((ch_err)999), 5001, "unknown errors are internal errors");
	cr_assert_eq(ch_err_http_status((ch_err)-1), 500);
}
