/* attrs.h — a client's custom attributes (docs/api.md, "Client profile"):
 * what a change may hold and how it merges into what is stored.
 *
 * The store keeps two JSON texts per client: the attributes, an object of
 * key → string, number or boolean, and its verified keys, an array of the
 * keys a signed userJWT set. Three kinds of change:
 *  - VISITOR (the widget's setAttributes): sets keys, null deletes one; a
 *    verified key is left as it is (reported in `ignored`);
 *  - STAFF (PUT /api/client/{id}): sets or deletes any key; a deleted key
 *    stops being verified, an overwritten one stays verified;
 *  - IDENTITY (a userJWT's `attributes` claim): its keys are set and become
 *    the verified ones; the keys an earlier claim verified and this one no
 *    longer names are deleted (the signed identity stopped vouching for them).
 * Bounds (chat/model.h): at most CH_ATTRS_MAX_KEYS keys in all; a key 1–64
 * bytes of A-Z a-z 0-9 _ . -; a string value at most CH_ATTR_VALUE_MAX bytes;
 * the whole object at most CH_ATTRS_JSON_MAX bytes as compact JSON.
 * Threading: pure; any thread.
 */
#ifndef CH_CHAT_ATTRS_H
#define CH_CHAT_ATTRS_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

enum { CH_ATTRS_VISITOR = 0, CH_ATTRS_STAFF = 1, CH_ATTRS_IDENTITY = 2 };

typedef struct ch_attrs_result {
	char *attributes;    /* malloc'd JSON object text (compact) */
	char *verified_keys; /* malloc'd JSON array text (compact) */
	json_t *ignored;     /* new reference: the keys a visitor's change could not touch */
	int changed;         /* 1 when either text differs from what was stored */
} ch_attrs_result;

/* Checks change (borrowed) and merges it as `who` into the stored texts
 * cur_attrs and cur_verified (NULL or unparsable = none). CH_OK fills *out
 * (free it with ch_attrs_result_free). Otherwise nothing is allocated, why
 * (whylen bytes) names the rule, and the error is CH_ERR_BAD_JSON (change
 * not an object, a value neither string, number, boolean nor null) or
 * CH_ERR_OUT_OF_RANGE (a bound). */
ch_err ch_attrs_merge(const char *cur_attrs, const char *cur_verified, const json_t *change, int who,
                      ch_attrs_result *out, char *why, size_t whylen);
void ch_attrs_result_free(ch_attrs_result *r);

#endif
