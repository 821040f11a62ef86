/* test_attrs.c — merging a change into a client's custom attributes
 * (chat/attrs.h): who may touch which key, what a userJWT's claim does to the
 * verified keys, and every bound. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "chat/attrs.h"
#include "chat/model.h"

static char why[200];

/* merge(change JSON text) as who over cur/ver; asserts the error. */
static ch_attrs_result merge(const char *cur, const char *ver, const char *change, int who, ch_err want)
{
	json_t *ch = json_loads(change, 0, NULL);
	cr_assert(ch, "test change parses: %s", change);
	ch_attrs_result r;
	why[0] = '\0';
	ch_err e = ch_attrs_merge(cur, ver, ch, who, &r, why, sizeof why);
	json_decref(ch);
	cr_assert_eq(e, want, "%s → %d (%s)", change, e, why);
	return r;
}

Test(attrs, visitor_sets_and_deletes_but_never_touches_verified_keys)
{
	ch_attrs_result r = merge("{\"plan\":\"pro\",\"a\":1}", "[\"plan\"]",
	                          "{\"plan\":\"free\",\"b\":true,\"a\":null,\"s\":\"x\"}", CH_ATTRS_VISITOR, CH_OK);
	cr_assert_str_eq(r.attributes, "{\"plan\":\"pro\",\"b\":true,\"s\":\"x\"}");
	cr_assert_str_eq(r.verified_keys, "[\"plan\"]");
	cr_assert_eq(json_array_size(r.ignored), 1);
	cr_assert_str_eq(json_string_value(json_array_get(r.ignored, 0)), "plan");
	cr_assert(r.changed);
	ch_attrs_result_free(&r);
	r = merge("{\"plan\":\"pro\"}", "[\"plan\"]", "{\"plan\":null}", CH_ATTRS_VISITOR, CH_OK);
	cr_assert_str_eq(r.attributes, "{\"plan\":\"pro\"}", "a verified key is not deleted by a visitor");
	cr_assert_not(r.changed);
	ch_attrs_result_free(&r);
}

Test(attrs, staff_sets_any_key_and_a_deleted_key_stops_being_verified)
{
	ch_attrs_result r = merge("{\"plan\":\"pro\",\"tier\":2}", "[\"plan\",\"tier\"]",
	                          "{\"plan\":\"gold\",\"tier\":null}", CH_ATTRS_STAFF, CH_OK);
	cr_assert_str_eq(r.attributes, "{\"plan\":\"gold\"}");
	cr_assert_str_eq(r.verified_keys, "[\"plan\"]");
	cr_assert_eq(json_array_size(r.ignored), 0);
	ch_attrs_result_free(&r);
}

Test(attrs, identity_claim_replaces_the_verified_keys)
{
	ch_attrs_result r = merge("{\"old\":1,\"mine\":\"x\",\"plan\":\"free\"}", "[\"old\"]",
	                          "{\"plan\":\"pro\",\"id\":42}", CH_ATTRS_IDENTITY, CH_OK);
	cr_assert_str_eq(r.attributes, "{\"mine\":\"x\",\"plan\":\"pro\",\"id\":42}",
	                 "a key the claim no longer names is gone; the visitor's own stay");
	cr_assert_str_eq(r.verified_keys, "[\"plan\",\"id\"]");
	ch_attrs_result_free(&r);
	r = merge(NULL, NULL, "{}", CH_ATTRS_IDENTITY, CH_OK);
	cr_assert_str_eq(r.attributes, "{}");
	cr_assert_str_eq(r.verified_keys, "[]");
	ch_attrs_result_free(&r);
}

Test(attrs, keys_values_and_types_are_checked)
{
	merge("{}", "[]", "[1]", CH_ATTRS_VISITOR, CH_ERR_BAD_JSON);
	merge("{}", "[]", "{\"a\":[1]}", CH_ATTRS_VISITOR, CH_ERR_BAD_JSON);
	cr_assert(strstr(why, "attributes.a"), "%s", why);
	merge("{}", "[]", "{\"a\":{\"b\":1}}", CH_ATTRS_STAFF, CH_ERR_BAD_JSON);
	merge("{}", "[]", "{\"\":1}", CH_ATTRS_VISITOR, CH_ERR_OUT_OF_RANGE);
	merge("{}", "[]", "{\"a b\":1}", CH_ATTRS_VISITOR, CH_ERR_OUT_OF_RANGE);
	merge("{}", "[]", "{\"ключ\":1}", CH_ATTRS_VISITOR, CH_ERR_OUT_OF_RANGE);
	char k[CH_ATTR_KEY_MAX + 16], change[CH_ATTR_VALUE_MAX + 128];
	memset(k, 'k', CH_ATTR_KEY_MAX + 1);
	k[CH_ATTR_KEY_MAX + 1] = '\0';
	snprintf(change, sizeof change, "{\"%s\":1}", k);
	merge("{}", "[]", change, CH_ATTRS_VISITOR, CH_ERR_OUT_OF_RANGE);
	k[CH_ATTR_KEY_MAX] = '\0';
	snprintf(change, sizeof change, "{\"%s\":1, \"a.b-c_D9\": 1.5}", k);
	ch_attrs_result r = merge("{}", "[]", change, CH_ATTRS_VISITOR, CH_OK);
	ch_attrs_result_free(&r);
	char v[CH_ATTR_VALUE_MAX + 2];
	memset(v, 'v', CH_ATTR_VALUE_MAX + 1);
	v[CH_ATTR_VALUE_MAX + 1] = '\0';
	snprintf(change, sizeof change, "{\"s\":\"%s\"}", v);
	merge("{}", "[]", change, CH_ATTRS_VISITOR, CH_ERR_OUT_OF_RANGE);
	cr_assert(strstr(why, "1024"), "%s", why);
	v[CH_ATTR_VALUE_MAX] = '\0';
	snprintf(change, sizeof change, "{\"s\":\"%s\"}", v);
	r = merge("{}", "[]", change, CH_ATTRS_VISITOR, CH_OK);
	ch_attrs_result_free(&r);
}

Test(attrs, at_most_50_keys_and_8_KiB_in_all)
{
	char change[4096] = "{";
	for (int i = 0; i < CH_ATTRS_MAX_KEYS; i++)
		snprintf(change + strlen(change), sizeof change - strlen(change), "%s\"k%d\":%d", i ? "," : "", i, i);
	strcat(change, "}");
	ch_attrs_result r = merge("{}", "[]", change, CH_ATTRS_VISITOR, CH_OK);
	char *fifty = strdup(r.attributes);
	ch_attrs_result_free(&r);
	merge(fifty, "[]", "{\"one_more\":1}", CH_ATTRS_VISITOR, CH_ERR_OUT_OF_RANGE);
	cr_assert(strstr(why, "50 keys"), "%s", why);
	r = merge(fifty, "[]", "{\"one_more\":1,\"k0\":null}", CH_ATTRS_VISITOR, CH_OK);
	ch_attrs_result_free(&r);
	free(fifty);
	/* 9 values of 1,000 bytes: each fine, together over 8,192 */
	char *big = malloc(16384), v[1001];
	memset(v, 'x', 1000);
	v[1000] = '\0';
	strcpy(big, "{");
	for (int i = 0; i < 9; i++)
		sprintf(big + strlen(big), "%s\"v%d\":\"%s\"", i ? "," : "", i, v);
	strcat(big, "}");
	merge("{}", "[]", big, CH_ATTRS_STAFF, CH_ERR_OUT_OF_RANGE);
	cr_assert(strstr(why, "8192 bytes"), "%s", why);
	free(big);
}
