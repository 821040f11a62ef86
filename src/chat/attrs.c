/* attrs.c — merging a change into a client's custom attributes (attrs.h).
 * Every check runs on the change first and on the merged object last, so a
 * refused change leaves nothing half-applied.
 * Threading: pure; any thread. */
#include "chat/attrs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/model.h"

#define KEY_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

static int key_ok(const char *k)
{
	size_t n = strlen(k);
	return n >= 1 && n <= CH_ATTR_KEY_MAX && strspn(k, KEY_CHARS) == n;
}

static int has_key(const json_t *arr, const char *k)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), k)) return 1;
	return 0;
}

static void drop_key(json_t *arr, const char *k)
{
	for (size_t i = json_array_size(arr); i-- > 0;)
		if (!strcmp(json_string_value(json_array_get(arr, i)), k))
			json_array_remove(arr, i);
}

/* Every key and value of the change, before anything is merged. */
static ch_err check_change(const json_t *change, char *why, size_t whylen)
{
	const char *k;
	json_t *v;
	if (!json_is_object(change)) {
		snprintf(why, whylen, "attributes: must be an object");
		return CH_ERR_BAD_JSON;
	}
	json_object_foreach((json_t *)change, k, v) {
		if (!key_ok(k)) {
			snprintf(why, whylen, "attributes: a key must be 1-%d bytes of A-Z a-z 0-9 _ . -", CH_ATTR_KEY_MAX);
			return CH_ERR_OUT_OF_RANGE;
		}
		if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v) && !json_is_null(v)) {
			snprintf(why, whylen, "attributes.%s: must be a string, a number, a boolean or null", k);
			return CH_ERR_BAD_JSON;
		}
		if (json_is_string(v) && json_string_length(v) > CH_ATTR_VALUE_MAX) {
			snprintf(why, whylen, "attributes.%s: a string value is at most %d bytes", k, CH_ATTR_VALUE_MAX);
			return CH_ERR_OUT_OF_RANGE;
		}
	}
	return CH_OK;
}

static json_t *load(const char *text, int object)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	if (j && (object ? json_is_object(j) : json_is_array(j)))
		return j;
	json_decref(j);
	return object ? json_object() : json_array();
}

/* The change applied to attrs and ver as who may. */
static void apply(json_t *attrs, json_t *ver, const json_t *change, int who, json_t *ignored)
{
	const char *k;
	json_t *v;
	if (who == CH_ATTRS_IDENTITY) { /* the claim replaces the verified keys */
		for (size_t i = json_array_size(ver); i-- > 0;) {
			const char *old = json_string_value(json_array_get(ver, i));
			json_t *nv = old ? json_object_get(change, old) : NULL;
			if (old && (!nv || json_is_null(nv)))
				json_object_del(attrs, old);
		}
		json_array_clear(ver);
	}
	json_object_foreach((json_t *)change, k, v) {
		if (who == CH_ATTRS_VISITOR && has_key(ver, k)) {
			json_array_append_new(ignored, json_string(k));
			continue;
		}
		if (json_is_null(v)) {
			json_object_del(attrs, k);
			drop_key(ver, k);
			continue;
		}
		json_object_set(attrs, k, v);
		if (who == CH_ATTRS_IDENTITY)
			json_array_append_new(ver, json_string(k));
	}
}

ch_err ch_attrs_merge(const char *cur_attrs, const char *cur_verified, const json_t *change, int who,
                      ch_attrs_result *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof *out);
	ch_err e = check_change(change, why, whylen);
	if (e)
		return e;
	json_t *attrs = load(cur_attrs, 1), *ver = load(cur_verified, 0), *ignored = json_array();
	apply(attrs, ver, change, who, ignored);
	char *a = NULL, *v = NULL;
	if (json_object_size(attrs) > CH_ATTRS_MAX_KEYS) {
		snprintf(why, whylen, "attributes: at most %d keys in all", CH_ATTRS_MAX_KEYS);
		e = CH_ERR_OUT_OF_RANGE;
	} else if (!(a = json_dumps(attrs, JSON_COMPACT)) || !(v = json_dumps(ver, JSON_COMPACT))) {
		snprintf(why, whylen, "attributes: cannot be encoded");
		e = CH_ERR_BAD_JSON;
	} else if (strlen(a) > CH_ATTRS_JSON_MAX) {
		snprintf(why, whylen, "attributes: at most %d bytes in all (as compact JSON)", CH_ATTRS_JSON_MAX);
		e = CH_ERR_OUT_OF_RANGE;
	}
	json_decref(attrs);
	json_decref(ver);
	if (e) {
		free(a);
		free(v);
		json_decref(ignored);
		return e;
	}
	out->attributes = a;
	out->verified_keys = v;
	out->ignored = ignored;
	out->changed = !cur_attrs || !cur_verified || strcmp(a, cur_attrs) || strcmp(v, cur_verified);
	return CH_OK;
}

void ch_attrs_result_free(ch_attrs_result *r)
{
	free(r->attributes);
	free(r->verified_keys);
	json_decref(r->ignored);
	memset(r, 0, sizeof *r);
}
