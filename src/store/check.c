/* check.c — the dialect-free argument checks of store operations (check.h):
 * what both backends refuse before they write, written once so the SQLite
 * and the PostgreSQL store answer the same input the same way.
 *
 * Threading: pure functions of their arguments; any thread.
 */
#include <jansson.h>
#include <string.h>

#include "core/log.h"
#include "core/utf8.h"
#include "store/check.h"

#define SECRET_MAX (sizeof(((ch_org_secrets *)0)->identity_secret) - 1)
#define URL_MAX (sizeof(((ch_org_secrets *)0)->outbound_url) - 1)

ch_err ch_store_check_len(const char *s, size_t max, int nullable, const char *what)
{
	if (!s && nullable)
		return CH_OK;
	if (s && strlen(s) <= max)
		return CH_OK;
	CH_WARN("store: %s %s", what, s ? "too long" : "missing");
	return CH_ERR_OUT_OF_RANGE;
}

/* CH_OK when s is NULL or valid UTF-8; else CH_ERR_BAD_JSON (every text a
 * row serves back is a JSON string). */
static ch_err check_utf8(const char *s, const char *what)
{
	if (!s || ch_utf8_valid(s, strlen(s)))
		return CH_OK;
	CH_WARN("store: %s is not valid UTF-8", what);
	return CH_ERR_BAD_JSON;
}

ch_err ch_store_check_company(const char *login, const char *name, const char *password_hash)
{
	ch_err err = ch_store_check_len(login, CH_LOGIN_MAX, 0, "company login");
	if (err == CH_OK)
		err = ch_store_check_len(name, CH_NAME_MAX, 0, "company name");
	if (err == CH_OK)
		err = ch_store_check_len(password_hash, CH_HASH_MAX, 0, "password hash");
	return err;
}

ch_err ch_store_check_api_key(const char *name, const char *prefix)
{
	ch_err err = ch_store_check_len(name, CH_NAME_MAX, 0, "api key name");
	if (err == CH_OK)
		err = ch_store_check_len(prefix, CH_API_KEY_PREFIX, 0, "api key prefix");
	return err;
}

ch_err ch_store_check_canned(const char *shortcut, const char *title, const char *text)
{
	ch_err err = ch_store_check_len(shortcut, CH_CANNED_SHORTCUT_MAX, 0, "canned shortcut");
	for (const char *p = shortcut; err == CH_OK && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			err = CH_ERR_OUT_OF_RANGE;
	if (err == CH_OK && !*shortcut)
		err = CH_ERR_OUT_OF_RANGE;
	if (err == CH_OK)
		err = ch_store_check_len(title, CH_CANNED_TITLE_MAX, 0, "canned title");
	if (err == CH_OK)
		err = ch_store_check_len(text, CH_TEXT_MAX_BYTES, 0, "canned text");
	if (err == CH_OK)
		err = check_utf8(title, "canned title");
	if (err == CH_OK)
		err = check_utf8(text, "canned text");
	return err;
}

ch_err ch_store_check_canned_owner(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id)
{
	if (operator_id == 0) {
		ch_org_row org;
		return ch_store_org_get(tx, company_id, org_id, &org);
	}
	ch_operator_row op;
	ch_err err = ch_store_operator_get(tx, company_id, operator_id, &op);
	if (err == CH_OK && op.organization_id != org_id)
		err = CH_ERR_NOT_FOUND;
	return err;
}

ch_err ch_store_check_note(const char *text, size_t n_mentions)
{
	ch_err err = ch_store_check_len(text, CH_NOTE_TEXT_MAX, 0, "note text");
	if (err == CH_OK && (!*text || n_mentions > CH_NOTE_MENTIONS_MAX))
		err = CH_ERR_OUT_OF_RANGE;
	if (err == CH_OK)
		err = check_utf8(text, "note text");
	return err;
}

ch_err ch_store_check_org(const char *name, const char *guid)
{
	ch_err err = ch_store_check_len(name, CH_NAME_MAX, 0, "organization name");
	if (err == CH_OK)
		err = ch_store_check_len(guid, CH_GUID_LEN, 0, "organization guid");
	return err;
}

ch_err ch_store_check_org_update(const char *name, const char *allowed_origins_json)
{
	ch_err err = ch_store_check_len(name, CH_NAME_MAX, 1, "organization name");
	if (err == CH_OK)
		err = ch_store_check_len(allowed_origins_json, CH_ORIGINS_MAX, 1, "allowed origins");
	return err;
}

ch_err ch_store_check_org_secrets(const char *identity_secret, const char *channel_secret,
                                  const char *outbound_url)
{
	ch_err err = ch_store_check_len(identity_secret, SECRET_MAX, 1, "identity secret");
	if (err == CH_OK)
		err = ch_store_check_len(channel_secret, SECRET_MAX, 1, "channel secret");
	if (err == CH_OK)
		err = ch_store_check_len(outbound_url, URL_MAX, 1, "outbound url");
	return err;
}

ch_err ch_store_check_operator(const char *name, const char *external_id)
{
	ch_err err = ch_store_check_len(name, CH_NAME_MAX, 0, "operator name");
	if (err == CH_OK)
		err = ch_store_check_len(external_id, CH_EXTID_MAX, 1, "operator external id");
	return err;
}

/* Every client field is served back as a JSON string, which must be valid
 * UTF-8: text that is not would make every later object of the client's
 * chats fail to serialise (and PostgreSQL would refuse it as an error that
 * aborts the batch), so it is refused here, before it is stored. */
ch_err ch_store_check_client(int source, const char *key, const char *name, const char *phone,
                             const char *email)
{
	if (source < CH_SOURCE_VIBER || source > CH_SOURCE_API)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_check_len(key, CH_EXTID_MAX, 1, "client external key");
	if (err == CH_OK)
		err = ch_store_check_len(name, CH_NAME_MAX, 1, "client name");
	if (err == CH_OK)
		err = ch_store_check_len(phone, CH_PHONE_MAX, 1, "client phone");
	if (err == CH_OK)
		err = ch_store_check_len(email, CH_EMAIL_MAX, 1, "client email");
	if (err == CH_OK)
		err = check_utf8(key, "client external key");
	if (err == CH_OK)
		err = check_utf8(name, "client name");
	if (err == CH_OK)
		err = check_utf8(phone, "client phone");
	if (err == CH_OK)
		err = check_utf8(email, "client email");
	return err;
}

/* CH_OK when text is NULL or a JSON value of the type want (an object, or an
 * array of strings); CH_ERR_OUT_OF_RANGE otherwise. */
static ch_err check_json(const char *text, int want_object, const char *what)
{
	if (!text)
		return CH_OK;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	int ok = j && (want_object ? json_is_object(j) : json_is_array(j));
	for (size_t i = 0; ok && !want_object && i < json_array_size(j); i++)
		ok = json_is_string(json_array_get(j, i));
	json_decref(j);
	if (!ok)
		CH_WARN("store: %s is not a JSON %s", what, want_object ? "object" : "array of strings");
	return ok ? CH_OK : CH_ERR_OUT_OF_RANGE;
}

ch_err ch_store_check_client_change(const ch_client_change *ch)
{
	struct {
		const char *s;
		size_t max;
		const char *what;
	} f[] = {{ch->name, CH_NAME_MAX, "client name"},        {ch->phone, CH_PHONE_MAX, "client phone"},
	         {ch->email, CH_EMAIL_MAX, "client email"},     {ch->page_url, CH_URL_MAX, "client page URL"},
	         {ch->referrer, CH_URL_MAX, "client referrer"}, {ch->language, CH_LANGUAGE_MAX, "client language"},
	         {ch->user_agent, CH_USER_AGENT_MAX, "client user agent"},
	         {ch->attributes, CH_ATTRS_JSON_MAX, "client attributes"},
	         {ch->verified_keys, CH_ATTRS_KEYS_JSON_MAX, "client verified keys"}};
	ch_err err = CH_OK;
	for (size_t i = 0; err == CH_OK && i < sizeof f / sizeof f[0]; i++)
		err = ch_store_check_len(f[i].s, f[i].max, 1, f[i].what);
	for (size_t i = 0; err == CH_OK && i < sizeof f / sizeof f[0]; i++)
		err = check_utf8(f[i].s, f[i].what);
	if (err == CH_OK)
		err = check_json(ch->attributes, 1, "client attributes");
	if (err == CH_OK)
		err = check_json(ch->verified_keys, 0, "client verified keys");
	return err;
}

ch_err ch_store_check_chat_create(int source, const char *theme)
{
	if (source < CH_SOURCE_VIBER || source > CH_SOURCE_API)
		return CH_ERR_OUT_OF_RANGE;
	return ch_store_check_len(theme, CH_NAME_MAX, 1, "chat theme");
}

ch_err ch_store_check_chat_update(int status, int64_t operator_id)
{
	if (status < CH_CHAT_NEW || status > CH_CHAT_CLOSED || operator_id < 0)
		return CH_ERR_OUT_OF_RANGE;
	return CH_OK;
}

ch_err ch_store_check_chat_filter(const ch_chat_filter *f)
{
	if (f->operator_id < -1 || f->offset < 0 || f->limit < 0)
		return CH_ERR_OUT_OF_RANGE;
	return ch_store_search_check(f->search);
}

ch_err ch_store_check_media(const char *name, const char *format, int type)
{
	if (type < CH_MEDIA_PHOTO || type > CH_MEDIA_FILE)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_check_len(name, CH_NAME_MAX, 0, "media name");
	if (err == CH_OK)
		err = ch_store_check_len(format, CH_FORMAT_MAX, 0, "media format");
	return err;
}

ch_err ch_store_check_message_new(const ch_message_new *m)
{
	if (m->author < CH_AUTHOR_OPERATOR || m->author > CH_AUTHOR_SYSTEM || m->status < CH_MSG_NEW ||
	    m->status > CH_MSG_READ || m->operator_id < 0 || m->media_id < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_check_len(m->text, CH_TEXT_MAX_BYTES, 1, "message text");
	if (err == CH_OK)
		err = ch_store_check_len(m->client_message_id, CH_EXTID_MAX, 1, "client message id");
	return err;
}

ch_err ch_store_check_setting(const char *key, const char *value)
{
	ch_err err = ch_store_check_len(key, CH_SETTING_KEY_MAX, 0, "setting key");
	if (err == CH_OK)
		err = ch_store_check_len(value, CH_SETTING_VALUE_MAX, 0, "setting value");
	return err;
}

ch_err ch_store_check_node(const char *node_id, int64_t lease_ms)
{
	ch_err err = ch_store_check_len(node_id, CH_NODE_ID_MAX, 0, "node id");
	if (err == CH_OK && (!*node_id || lease_ms <= 0))
		err = CH_ERR_OUT_OF_RANGE;
	return err;
}

/* n lowercase hex characters, then the end of s. */
static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int ch_store_check_public_key(const char *key)
{
	return key && is_hex(key, 32);
}

/* The field holds a NUL: a text the store may read with strlen. */
#define TERMINATED(f) (memchr((f), 0, sizeof(f)) != NULL)

ch_err ch_store_check_channel_conn(const ch_channel_conn_row *in)
{
	if ((in->type != CH_CHANNEL_VIBER && in->type != CH_CHANNEL_TELEGRAM) || !TERMINATED(in->name) ||
	    !TERMINATED(in->public_key) || !TERMINATED(in->token_hint) || !TERMINATED(in->secret) ||
	    !TERMINATED(in->last_error) || in->token_enc_len == 0 ||
	    in->token_enc_len > CH_CHANNEL_TOKEN_ENC_MAX || in->created_at < 0 || in->webhook_at < 0 ||
	    in->last_inbound_at < 0 || in->last_error_at < 0) {
		CH_WARN("store: channel connection out of range");
		return CH_ERR_OUT_OF_RANGE;
	}
	ch_err err = ch_store_check_len(in->name, CH_NAME_MAX, 0, "channel connection name");
	if (err == CH_OK && !in->name[0])
		err = CH_ERR_OUT_OF_RANGE;
	if (err == CH_OK && !ch_store_check_public_key(in->public_key))
		err = CH_ERR_OUT_OF_RANGE;
	if (err == CH_OK && !(in->type == CH_CHANNEL_TELEGRAM ? is_hex(in->secret, 64) : !in->secret[0]))
		err = CH_ERR_OUT_OF_RANGE;
	if (err == CH_OK)
		err = check_utf8(in->name, "channel connection name");
	if (err == CH_OK)
		err = check_utf8(in->token_hint, "channel token hint");
	if (err == CH_OK)
		err = check_utf8(in->last_error, "channel last error");
	return err;
}
