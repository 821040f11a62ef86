/* test_platform.c — Telegram and Viber as data (chat/platform.h): every kind
 * of update and callback, the proofs, what each answer to a send means, the
 * request bodies read back as JSON, the multipart body, and hostile input
 * (not JSON, wrong types, huge numbers, deep nesting, NUL bytes, long texts and
 * ids, random mutations): never a crash, every output NUL-terminated UTF-8. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/model.h"
#include "chat/platform.h"
#include "core/utf8.h"

static char why[200];

/* Every string field NUL-terminated inside its array and valid UTF-8. */
#define FIELD_OK(f) cr_assert(memchr(f, 0, sizeof f) && ch_utf8_valid(f, strlen(f)), #f " is a C string of UTF-8")
static void strings_ok(const ch_pf_inbound *in)
{
	FIELD_OK(in->dedupe_id);
	FIELD_OK(in->user_id);
	FIELD_OK(in->name);
	FIELD_OK(in->phone);
	FIELD_OK(in->text);
	FIELD_OK(in->file_ref);
	FIELD_OK(in->file_name);
	FIELD_OK(in->mime);
	FIELD_OK(in->status_ref);
}

static ch_pf_inbound in;

static int tg(const char *body)
{
	why[0] = 0;
	int r = ch_pf_telegram_parse(body, strlen(body), &in, why, sizeof why);
	strings_ok(&in);
	return r;
}

static int vb(const char *body)
{
	why[0] = 0;
	int r = ch_pf_viber_parse(body, strlen(body), &in, why, sizeof why);
	strings_ok(&in);
	return r;
}

static void tg_ok(const char *body, ch_pf_kind kind)
{
	cr_assert_eq(tg(body), 0, "%s: %s", body, why);
	cr_assert_eq(in.kind, kind, "%s: kind %d", body, in.kind);
}

static void tg_bad(const char *body)
{
	cr_assert_eq(tg(body), -1, "refused: %s", body);
	cr_assert(why[0], "a reason for %s", body);
	cr_assert_eq(in.kind, CH_PF_IGNORE);
	cr_assert_str_eq(in.user_id, "");
}

static void vb_ok(const char *body, ch_pf_kind kind)
{
	cr_assert_eq(vb(body), 0, "%s: %s", body, why);
	cr_assert_eq(in.kind, kind, "%s: kind %d", body, in.kind);
}

static void vb_bad(const char *body)
{
	cr_assert_eq(vb(body), -1, "refused: %s", body);
	cr_assert(why[0], "a reason for %s", body);
	cr_assert_eq(in.kind, CH_PF_IGNORE);
}

#define TG_FROM "\"from\":{\"id\":123456789,\"is_bot\":false,\"first_name\":\"Anna\",\"last_name\":\"Smith\"}"
#define TG_CHAT "\"chat\":{\"id\":123456789,\"type\":\"private\"}"
#define TG_MSG(rest) "{\"update_id\":1001,\"message\":{\"message_id\":5," TG_FROM "," TG_CHAT ",\"date\":1," rest "}}"

/* ------------------------------------------------------- Telegram updates */

Test(telegram, text_message)
{
	tg_ok(TG_MSG("\"text\":\"Hello, \\\"world\\\"\\n\\u043f\\u0440\\u0438\\u0432\\u0456\\u0442\""), CH_PF_MESSAGE);
	cr_assert_str_eq(in.dedupe_id, "1001");
	cr_assert_str_eq(in.user_id, "123456789");
	cr_assert_str_eq(in.name, "Anna Smith");
	cr_assert_str_eq(in.text, "Hello, \"world\"\nпривіт");
	cr_assert_eq(in.media, CH_PF_MEDIA_NONE);
	cr_assert_eq(in.file_size, -1);
	cr_assert_str_eq(in.phone, "");
}

Test(telegram, user_ids_beyond_32_bits_are_decimal_int64)
{
	tg_ok("{\"update_id\":9007199254740993,\"message\":{\"from\":{\"id\":8123456789012,\"first_name\":\"B\"},"
	      "\"text\":\"x\"}}",
	      CH_PF_MESSAGE);
	cr_assert_str_eq(in.user_id, "8123456789012");
	cr_assert_str_eq(in.dedupe_id, "9007199254740993");
	cr_assert_str_eq(in.name, "B");
	tg_ok("{\"update_id\":0,\"message\":{\"from\":{\"id\":9223372036854775807},\"text\":\"x\"}}", CH_PF_MESSAGE);
	cr_assert_str_eq(in.user_id, "9223372036854775807");
	cr_assert_str_eq(in.name, "");
}

Test(telegram, photo_takes_the_largest_size_and_the_caption)
{
	tg_ok(TG_MSG("\"caption\":\"look\",\"photo\":["
	             "{\"file_id\":\"mid\",\"file_unique_id\":\"u2\",\"width\":320,\"height\":240,\"file_size\":9000},"
	             "{\"file_id\":\"big\",\"file_unique_id\":\"u3\",\"width\":1280,\"height\":960,\"file_size\":90000},"
	             "{\"file_id\":\"small\",\"file_unique_id\":\"u1\",\"width\":90,\"height\":67,\"file_size\":900}]"),
	      CH_PF_MESSAGE);
	cr_assert_eq(in.media, CH_PF_MEDIA_PHOTO);
	cr_assert_str_eq(in.file_ref, "big");
	cr_assert_eq(in.file_size, 90000);
	cr_assert_str_eq(in.text, "look");
	/* sizes without dimensions: the larger file_size, then the later */
	tg_ok(TG_MSG("\"photo\":[{\"file_id\":\"a\",\"file_size\":5},{\"file_id\":\"b\",\"file_size\":7},"
	             "{\"file_id\":\"c\"},{\"width\":\"huge\",\"file_id\":\"d\",\"file_size\":6}]"),
	      CH_PF_MESSAGE);
	cr_assert_str_eq(in.file_ref, "b");
	/* an invalid size among valid ones is skipped */
	tg_ok(TG_MSG("\"photo\":[{\"file_id\":7,\"width\":5000,\"height\":5000},{\"file_id\":\"ok\",\"width\":1,\"height\":1},"
	             "\"junk\",{\"file_id\":\"huge\",\"width\":9223372036854775807,\"height\":9223372036854775807}]"),
	      CH_PF_MESSAGE);
	cr_assert_str_eq(in.file_ref, "ok", "absurd dimensions count as none and never overflow");
}

Test(telegram, document_voice_video)
{
	tg_ok(TG_MSG("\"document\":{\"file_id\":\"D1\",\"file_unique_id\":\"x\",\"file_name\":\"report.pdf\","
	             "\"mime_type\":\"application/pdf\",\"file_size\":12345}"),
	      CH_PF_MESSAGE);
	cr_assert_eq(in.media, CH_PF_MEDIA_DOCUMENT);
	cr_assert_str_eq(in.file_ref, "D1");
	cr_assert_str_eq(in.file_name, "report.pdf");
	cr_assert_str_eq(in.mime, "application/pdf");
	cr_assert_eq(in.file_size, 12345);
	cr_assert_str_eq(in.text, "");

	tg_ok(TG_MSG("\"voice\":{\"file_id\":\"V1\",\"file_unique_id\":\"x\",\"duration\":3,\"mime_type\":\"audio/ogg\","
	             "\"file_size\":2048}"),
	      CH_PF_MESSAGE);
	cr_assert_eq(in.media, CH_PF_MEDIA_VOICE);
	cr_assert_str_eq(in.file_ref, "V1");
	cr_assert_str_eq(in.mime, "audio/ogg");
	cr_assert_eq(in.file_size, 2048);

	tg_ok(TG_MSG("\"video\":{\"file_id\":\"M1\",\"mime_type\":\"video/mp4\",\"file_size\":\"big\"}"), CH_PF_MESSAGE);
	cr_assert_eq(in.media, CH_PF_MEDIA_VIDEO);
	cr_assert_eq(in.file_size, -1, "a size of the wrong type is unknown");

	/* optional descriptions of the wrong type count as absent */
	tg_ok(TG_MSG("\"document\":{\"file_id\":\"D2\",\"file_name\":5,\"mime_type\":[],\"file_size\":-4}"),
	      CH_PF_MESSAGE);
	cr_assert_str_eq(in.file_name, "");
	cr_assert_str_eq(in.mime, "");
	cr_assert_eq(in.file_size, -1);
}

Test(telegram, stickers_are_image_media)
{
	tg_ok(TG_MSG("\"sticker\":{\"file_id\":\"S1\",\"type\":\"regular\",\"width\":512,\"height\":512,"
	             "\"is_animated\":false,\"is_video\":false,\"file_size\":3000}"),
	      CH_PF_MESSAGE);
	cr_assert_eq(in.media, CH_PF_MEDIA_STICKER);
	cr_assert_str_eq(in.file_ref, "S1");
	cr_assert_str_eq(in.mime, "image/webp");
	cr_assert_eq(in.file_size, 3000);
	tg_ok(TG_MSG("\"sticker\":{\"file_id\":\"S2\",\"is_animated\":true,\"is_video\":false}"), CH_PF_MESSAGE);
	cr_assert_str_eq(in.mime, "application/x-tgsticker");
	tg_ok(TG_MSG("\"sticker\":{\"file_id\":\"S3\",\"is_animated\":false,\"is_video\":true}"), CH_PF_MESSAGE);
	cr_assert_str_eq(in.mime, "video/webm");
}

Test(telegram, contact_phone_only_when_it_is_the_senders_own)
{
	tg_ok(TG_MSG("\"contact\":{\"phone_number\":\"+380 (44) 123-45-67\",\"first_name\":\"Anna\","
	             "\"user_id\":123456789}"),
	      CH_PF_MESSAGE);
	cr_assert_str_eq(in.phone, "+380 (44) 123-45-67");
	cr_assert_str_eq(in.text, "");
	cr_assert_eq(in.media, CH_PF_MEDIA_NONE);
	tg_ok(TG_MSG("\"contact\":{\"phone_number\":\"+380441234567\",\"first_name\":\"Someone\",\"user_id\":42}"),
	      CH_PF_IGNORE);
	cr_assert_str_eq(in.phone, "");
	tg_ok(TG_MSG("\"contact\":{\"phone_number\":\"+380441234567\",\"first_name\":\"No account\"}"), CH_PF_IGNORE);
	tg_ok(TG_MSG("\"contact\":{\"phone_number\":\"+380441234567\",\"user_id\":\"123456789\"}"), CH_PF_IGNORE);
	tg_ok(TG_MSG("\"contact\":{\"phone_number\":\"<script>\",\"user_id\":123456789}"), CH_PF_IGNORE);
	cr_assert_str_eq(in.phone, "");
	tg_ok(TG_MSG("\"contact\":{\"phone_number\":"
	             "\"+1111111111111111111111111111111111111111111111111111111111111111111\",\"user_id\":123456789}"),
	      CH_PF_IGNORE);
	cr_assert_str_eq(in.phone, "", "a phone longer than the field is dropped");
}

Test(telegram, ignored_updates)
{
	tg_ok("{\"update_id\":7,\"edited_message\":{\"message_id\":5," TG_FROM ",\"text\":\"changed\"}}", CH_PF_IGNORE);
	cr_assert_str_eq(in.dedupe_id, "7", "an ignored update still has its id");
	cr_assert_str_eq(in.text, "");
	tg_ok("{\"update_id\":8,\"callback_query\":{\"id\":\"1\"}}", CH_PF_IGNORE);
	tg_ok("{\"update_id\":9}", CH_PF_IGNORE);
	tg_ok("{\"update_id\":10,\"message\":{\"from\":{\"id\":99,\"is_bot\":true,\"first_name\":\"Bot\"},"
	      "\"text\":\"beep\"}}",
	      CH_PF_IGNORE);
	tg_ok("{\"update_id\":11,\"message\":{" TG_FROM ",\"chat\":{\"id\":-100123,\"type\":\"supergroup\"},"
	      "\"text\":\"in a group\"}}",
	      CH_PF_IGNORE);
	tg_ok(TG_MSG("\"location\":{\"latitude\":50.45,\"longitude\":30.52}"), CH_PF_IGNORE);
	tg_ok(TG_MSG("\"text\":\"\""), CH_PF_IGNORE);
}

Test(telegram, not_an_update)
{
	tg_bad("");
	tg_bad("not json");
	tg_bad("{\"update_id\":1,");
	tg_bad("[]");
	tg_bad("1");
	tg_bad("\"update\"");
	tg_bad("null");
	tg_bad("{}");
	cr_assert_eq(ch_pf_telegram_parse(NULL, 0, &in, why, sizeof why), -1);
	cr_assert_eq(ch_pf_telegram_parse(NULL, 5, &in, why, sizeof why), -1);
	cr_assert_eq(ch_pf_telegram_parse("{}", 2, &in, NULL, 0), -1, "why may be NULL");
	char one[] = "{\"update_id\":1}";
	cr_assert_eq(ch_pf_telegram_parse(one, CH_PF_BODY_MAX + 1, &in, why, sizeof why), -1, "too large");
}

Test(telegram, ids_of_the_wrong_type)
{
	tg_bad("{\"update_id\":\"1001\"}");
	tg_bad("{\"update_id\":1001.0}");
	tg_bad("{\"update_id\":1e3}");
	tg_bad("{\"update_id\":-1}");
	tg_bad("{\"update_id\":true}");
	tg_bad("{\"update_id\":null}");
	tg_bad("{\"update_id\":9223372036854775808}");
	tg_bad("{\"update_id\":99999999999999999999999999}");
	tg_bad("{\"update_id\":1,\"message\":\"hi\"}");
	tg_bad("{\"update_id\":1,\"message\":{\"text\":\"no sender\"}}");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":5,\"text\":\"x\"}}");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":{\"first_name\":\"no id\"},\"text\":\"x\"}}");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":{\"id\":\"123\"},\"text\":\"x\"}}");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":{\"id\":12.5},\"text\":\"x\"}}");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":{\"id\":0},\"text\":\"x\"}}");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":{\"id\":-5},\"text\":\"x\"}}");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":{\"id\":18446744073709551615},\"text\":\"x\"}}");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":{\"id\":5,\"is_bot\":\"false\"},\"text\":\"x\"}}");
	tg_bad("{\"update_id\":1,\"update_id\":2}");
	tg_bad("{\"update_id\\u0000\":1}");
	tg_bad("{\"update_id\\u0000x\":1,\"update_idx\":2}");
	tg_bad(TG_MSG("\"text\":42"));
	tg_bad(TG_MSG("\"caption\":{\"x\":1}"));
	tg_bad(TG_MSG("\"photo\":{\"file_id\":\"x\"}"));
	tg_bad(TG_MSG("\"photo\":[]"));
	tg_bad(TG_MSG("\"photo\":[{\"file_id\":5}]"));
	tg_bad(TG_MSG("\"document\":{\"file_name\":\"no id.pdf\"}"));
	tg_bad(TG_MSG("\"document\":\"D1\""));
	tg_bad(TG_MSG("\"voice\":{\"file_id\":\"\"}"));
	tg_bad(TG_MSG("\"sticker\":{\"file_id\":\"a\\u0000b\"}"));
	tg_bad(TG_MSG("\"sticker\":{\"file_id\":\"a\\nb\"}"));
}

static char *repeat(const char *piece, size_t times, const char *pre, const char *post)
{
	size_t n = strlen(piece), a = strlen(pre), b = strlen(post);
	char *s = malloc(a + n * times + b + 1);
	memcpy(s, pre, a);
	for (size_t i = 0; i < times; i++)
		memcpy(s + a + i * n, piece, n);
	memcpy(s + a + n * times, post, b + 1);
	return s;
}

static size_t chars(const char *s)
{
	size_t c = 0;
	for (; *s; s++)
		c += ((unsigned char)*s & 0xC0) != 0x80;
	return c;
}

Test(telegram, long_texts_are_cut_at_a_character_boundary)
{
	const char *pieces[] = {"a", "é", "€", "😀", "é😀"};
	for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
		char *body = repeat(pieces[p], 5000, "{\"update_id\":1,\"message\":{\"from\":{\"id\":5},\"text\":\"", "\"}}");
		tg_ok(body, CH_PF_MESSAGE);
		cr_assert_eq(chars(in.text), CH_TEXT_MAX_CHARS, "%s: %zu characters", pieces[p], chars(in.text));
		cr_assert(strlen(in.text) <= CH_TEXT_MAX_BYTES);
		free(body);
	}
	char *body = repeat("a", 4096, "{\"update_id\":1,\"message\":{\"from\":{\"id\":5},\"text\":\"", "\"}}");
	tg_ok(body, CH_PF_MESSAGE);
	cr_assert_eq(strlen(in.text), 4096, "exactly the limit is kept whole");
	free(body);
}

Test(telegram, nul_bytes_and_control_characters)
{
	tg_ok("{\"update_id\":1,\"message\":{\"from\":{\"id\":5,\"first_name\":\"A\\u0000n\\nna\\t\",\"last_name\":"
	      "\"\\u0000\"},\"text\":\"a\\u0000b\\u0000\\tc\\r\\n\"}}",
	      CH_PF_MESSAGE);
	cr_assert_str_eq(in.text, "ab\tc\r\n", "NULs dropped, other control characters kept in a text");
	cr_assert_str_eq(in.name, "An na", "names hold no control characters, nor spaces at either end");
	tg_ok("{\"update_id\":1,\"message\":{\"from\":{\"id\":5},\"text\":\"\\u0000\\u0000\"}}", CH_PF_IGNORE);
	cr_assert_str_eq(in.text, "");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":{\"id\":5},\"text\":\"\\ud800\"}}");
	tg_bad("{\"update_id\":1,\"message\":{\"from\":{\"id\":5},\"text\":\"\xff\xfe\"}}");
}

Test(telegram, long_names_and_refs)
{
	char *body = repeat("Ж", 1000, "{\"update_id\":1,\"message\":{\"from\":{\"id\":5,\"first_name\":\"",
	                    "\",\"last_name\":\"Long\"},\"text\":\"x\"}}");
	tg_ok(body, CH_PF_MESSAGE);
	cr_assert(strlen(in.name) <= 255 && strlen(in.name) >= 250);
	free(body);
	body = repeat("x", 2000, "{\"update_id\":1,\"message\":{\"from\":{\"id\":5},\"document\":{\"file_id\":\"", "\"}}}");
	tg_bad(body);
	free(body);
}

Test(telegram, deep_nesting)
{
	char *body = repeat("[", 100000, "{\"update_id\":1,\"message\":{\"from\":{\"id\":5},\"x\":", "");
	tg_bad(body);
	free(body);
	body = repeat("{\"a\":", 5000, "", "1");
	tg_bad(body);
	free(body);
	/* a nesting jansson accepts, where no field is read from */
	char *open = repeat("[", 100, "{\"update_id\":1,\"message\":{\"from\":{\"id\":5},\"text\":\"ok\",\"x\":", "");
	char *all = repeat("]", 100, open, "}}");
	tg_ok(all, CH_PF_MESSAGE);
	free(open);
	free(all);
}

/* --------------------------------------------------------- Viber callbacks */

#define VB_SENDER "\"sender\":{\"id\":\"01234567890A=\",\"name\":\"John McClane\",\"avatar\":\"http://a\",\"country\":\"UA\"}"
#define VB_MSG(msg) "{\"event\":\"message\",\"timestamp\":1457764197627,\"message_token\":4912661846655238145," VB_SENDER ",\"message\":" msg "}"

Test(viber, text_message)
{
	vb_ok(VB_MSG("{\"type\":\"text\",\"text\":\"a \\\"message\\\"\\n\\u0434\\u044f\\u043a\\u0443\\u044e\","
	             "\"tracking_data\":\"t\"}"),
	      CH_PF_MESSAGE);
	cr_assert_str_eq(in.dedupe_id, "4912661846655238145");
	cr_assert_str_eq(in.user_id, "01234567890A=");
	cr_assert_str_eq(in.name, "John McClane");
	cr_assert_str_eq(in.text, "a \"message\"\nдякую");
	cr_assert_eq(in.media, CH_PF_MEDIA_NONE);
	cr_assert_eq(in.file_size, -1);
}

Test(viber, media_messages)
{
	vb_ok(VB_MSG("{\"type\":\"picture\",\"text\":\"caption\",\"media\":\"https://dl.viber.com/p.jpg\","
	             "\"thumbnail\":\"https://dl.viber.com/t.jpg\"}"),
	      CH_PF_MESSAGE);
	cr_assert_eq(in.media, CH_PF_MEDIA_PHOTO);
	cr_assert_str_eq(in.file_ref, "https://dl.viber.com/p.jpg");
	cr_assert_str_eq(in.text, "caption");

	vb_ok(VB_MSG("{\"type\":\"video\",\"media\":\"https://dl.viber.com/v.mp4\",\"size\":10000,\"duration\":10}"),
	      CH_PF_MESSAGE);
	cr_assert_eq(in.media, CH_PF_MEDIA_VIDEO);
	cr_assert_eq(in.file_size, 10000);

	vb_ok(VB_MSG("{\"type\":\"file\",\"media\":\"http://127.0.0.1:9/f\",\"size\":777,\"file_name\":\"a.pdf\"}"),
	      CH_PF_MESSAGE);
	cr_assert_eq(in.media, CH_PF_MEDIA_DOCUMENT);
	cr_assert_str_eq(in.file_name, "a.pdf");
	cr_assert_eq(in.file_size, 777);
	cr_assert_str_eq(in.text, "");

	vb_ok(VB_MSG("{\"type\":\"sticker\",\"sticker_id\":46105,\"media\":\"https://dl.viber.com/s.png\"}"),
	      CH_PF_MESSAGE);
	cr_assert_eq(in.media, CH_PF_MEDIA_STICKER);
	cr_assert_str_eq(in.file_ref, "https://dl.viber.com/s.png");
	vb_ok(VB_MSG("{\"type\":\"sticker\",\"sticker_id\":46105}"), CH_PF_IGNORE);
	cr_assert_eq(in.media, CH_PF_MEDIA_NONE);

	vb_ok(VB_MSG("{\"type\":\"url\",\"media\":\"https://example.com/page\"}"), CH_PF_MESSAGE);
	cr_assert_str_eq(in.text, "https://example.com/page");
	cr_assert_eq(in.media, CH_PF_MEDIA_NONE);
}

Test(viber, unmapped_types_keep_only_their_text)
{
	vb_ok(VB_MSG("{\"type\":\"contact\",\"contact\":{\"name\":\"Itamar\",\"phone_number\":\"+972511123123\"}}"),
	      CH_PF_IGNORE);
	cr_assert_str_eq(in.phone, "", "a shared contact is not the sender's phone");
	vb_ok(VB_MSG("{\"type\":\"location\",\"location\":{\"lat\":50.76891,\"lon\":6.11499}}"), CH_PF_IGNORE);
	vb_ok(VB_MSG("{\"type\":\"rich_media\",\"text\":\"with text\"}"), CH_PF_MESSAGE);
	cr_assert_str_eq(in.text, "with text");
	vb_ok(VB_MSG("{\"type\":\"text\"}"), CH_PF_IGNORE);
}

Test(viber, subscription_events)
{
	vb_ok("{\"event\":\"subscribed\",\"timestamp\":1457764197627,\"user\":{\"id\":\"01234567890A=\",\"name\":\"John\","
	      "\"avatar\":\"http://a\",\"country\":\"UA\",\"language\":\"uk\",\"api_version\":1},\"message_token\":4912661846655238145}",
	      CH_PF_SUBSCRIBED);
	cr_assert_str_eq(in.user_id, "01234567890A=");
	cr_assert_str_eq(in.name, "John");
	cr_assert_str_eq(in.dedupe_id, "4912661846655238145");
	vb_ok("{\"event\":\"conversation_started\",\"timestamp\":1,\"message_token\":5,\"type\":\"open\","
	      "\"context\":\"ctx\",\"user\":{\"id\":\"U2\",\"name\":\"Jane\"},\"subscribed\":false}",
	      CH_PF_SUBSCRIBED);
	cr_assert_str_eq(in.user_id, "U2");
	cr_assert_str_eq(in.name, "Jane");
	vb_ok("{\"event\":\"unsubscribed\",\"timestamp\":1,\"user_id\":\"01234567890A=\",\"message_token\":6}",
	      CH_PF_UNSUBSCRIBED);
	cr_assert_str_eq(in.user_id, "01234567890A=");
	cr_assert_str_eq(in.dedupe_id, "6");
	vb_ok("{\"event\":\"subscribed\",\"user\":{\"id\":\"U3\"}}", CH_PF_SUBSCRIBED);
	cr_assert_str_eq(in.dedupe_id, "");
	cr_assert_str_eq(in.name, "");
}

Test(viber, receipts_and_the_rest)
{
	vb_ok("{\"event\":\"delivered\",\"timestamp\":1457764197627,\"message_token\":4912661846655238145,"
	      "\"user_id\":\"01234567890A=\"}",
	      CH_PF_STATUS);
	cr_assert_eq(in.status, CH_MSG_SUCCESS);
	cr_assert_eq(in.status, 1);
	cr_assert_str_eq(in.status_ref, "4912661846655238145");
	cr_assert_str_eq(in.user_id, "01234567890A=");
	cr_assert_str_eq(in.dedupe_id, "", "a receipt is not deduplicated by its message's token");
	vb_ok("{\"event\":\"seen\",\"timestamp\":1,\"message_token\":77,\"user_id\":\"U\"}", CH_PF_STATUS);
	cr_assert_eq(in.status, 3);
	cr_assert_str_eq(in.status_ref, "77");
	vb_ok("{\"event\":\"seen\",\"message_token\":77}", CH_PF_STATUS);
	vb_ok("{\"event\":\"failed\",\"timestamp\":1,\"message_token\":77,\"user_id\":\"U\",\"desc\":\"failure\"}",
	      CH_PF_IGNORE);
	vb_ok("{\"event\":\"webhook\",\"timestamp\":1457764197627,\"chat_hostname\":\"SN-376_\",\"message_token\":1}",
	      CH_PF_WEBHOOK_CHECK);
	vb_ok("{\"event\":\"client_status\"}", CH_PF_IGNORE);
	vb_ok("{\"event\":\"something_new\",\"user\":5}", CH_PF_IGNORE);
}

Test(viber, hostile_callbacks)
{
	vb_bad("");
	vb_bad("<html>");
	vb_bad("[{\"event\":\"message\"}]");
	vb_bad("42");
	vb_bad("{}");
	vb_bad("{\"event\":5}");
	vb_bad("{\"event\":null}");
	vb_bad("{\"event\":\"message\",\"event\":\"seen\",\"message_token\":1}");
	vb_bad("{\"event\":\"message\"," VB_SENDER ",\"message\":{\"type\":\"text\",\"text\":\"no token\"}}");
	vb_bad("{\"event\":\"message\",\"message_token\":\"491\"," VB_SENDER ",\"message\":{\"type\":\"text\",\"text\":\"x\"}}");
	vb_bad("{\"event\":\"message\",\"message_token\":4.9e18," VB_SENDER ",\"message\":{\"type\":\"text\",\"text\":\"x\"}}");
	vb_bad("{\"event\":\"message\",\"message_token\":-1," VB_SENDER ",\"message\":{\"type\":\"text\",\"text\":\"x\"}}");
	vb_bad("{\"event\":\"message\",\"message_token\":18446744073709551616," VB_SENDER
	       ",\"message\":{\"type\":\"text\",\"text\":\"x\"}}");
	vb_bad("{\"event\":\"message\",\"message_token\":1,\"sender\":{\"id\":12345},\"message\":{\"type\":\"text\",\"text\":\"x\"}}");
	vb_bad("{\"event\":\"message\",\"message_token\":1,\"sender\":{\"name\":\"no id\"},\"message\":{\"type\":\"text\"}}");
	vb_bad("{\"event\":\"message\",\"message_token\":1,\"sender\":{\"id\":\"\"},\"message\":{\"type\":\"text\"}}");
	vb_bad("{\"event\":\"message\",\"message_token\":1,\"sender\":{\"id\":\"a\\u0000b\"},\"message\":{\"type\":\"text\"}}");
	vb_bad("{\"event\":\"message\",\"message_token\":1," VB_SENDER "}");
	vb_bad(VB_MSG("{\"text\":\"no type\"}"));
	vb_bad(VB_MSG("{\"type\":\"text\",\"text\":[1]}"));
	vb_bad(VB_MSG("{\"type\":\"picture\"}"));
	vb_bad(VB_MSG("{\"type\":\"picture\",\"media\":\"file:///etc/passwd\"}"));
	vb_bad(VB_MSG("{\"type\":\"file\",\"media\":\"gopher://x\"}"));
	vb_bad(VB_MSG("{\"type\":\"video\",\"media\":7}"));
	vb_bad("{\"event\":\"subscribed\",\"user\":{\"name\":\"no id\"}}");
	vb_bad("{\"event\":\"subscribed\",\"user\":\"U\"}");
	vb_bad("{\"event\":\"subscribed\",\"user\":{\"id\":\"U\"},\"message_token\":\"5\"}");
	vb_bad("{\"event\":\"conversation_started\",\"user\":{\"id\":1}}");
	vb_bad("{\"event\":\"unsubscribed\"}");
	vb_bad("{\"event\":\"unsubscribed\",\"user_id\":99}");
	vb_bad("{\"event\":\"delivered\",\"user_id\":\"U\"}");
	vb_bad("{\"event\":\"seen\",\"message_token\":\"77\"}");
	vb_bad("{\"event\":\"seen\",\"message_token\":77,\"user_id\":5}");
}

Test(viber, user_id_longer_than_the_field_is_refused)
{
	char *body = repeat("u", 127, "{\"event\":\"unsubscribed\",\"user_id\":\"", "\"}");
	vb_ok(body, CH_PF_UNSUBSCRIBED);
	cr_assert_eq(strlen(in.user_id), 127);
	free(body);
	body = repeat("u", 128, "{\"event\":\"unsubscribed\",\"user_id\":\"", "\"}");
	vb_bad(body);
	free(body);
	body = repeat("x", 1100,
	              "{\"event\":\"message\",\"message_token\":1," VB_SENDER ",\"message\":{\"type\":\"picture\","
	              "\"media\":\"https://",
	              "\"}}");
	vb_bad(body);
	free(body);
}

Test(viber, long_text_is_cut)
{
	char *body = repeat("я", 7000,
	                    "{\"event\":\"message\",\"message_token\":1," VB_SENDER ",\"message\":{\"type\":\"text\","
	                    "\"text\":\"",
	                    "\"}}");
	vb_ok(body, CH_PF_MESSAGE);
	cr_assert_eq(chars(in.text), CH_TEXT_MAX_CHARS);
	free(body);
}

/* ------------------------------------------------- mutations of real bodies */

Test(hostile, random_mutations_never_crash)
{
	const char *seeds[] = {
	    TG_MSG("\"text\":\"hi\""),
	    TG_MSG("\"photo\":[{\"file_id\":\"a\",\"width\":1,\"height\":1},{\"file_id\":\"b\",\"width\":2,\"height\":2}]"),
	    TG_MSG("\"contact\":{\"phone_number\":\"+1\",\"user_id\":123456789}"),
	    VB_MSG("{\"type\":\"file\",\"media\":\"https://x/y\",\"size\":3,\"file_name\":\"n\"}"),
	    "{\"event\":\"seen\",\"message_token\":77,\"user_id\":\"U\"}",
	    "{\"event\":\"subscribed\",\"user\":{\"id\":\"U3\",\"name\":\"N\"}}",
	};
	const char alphabet[] = "{}[]\":,0123456789-.eE\\u\x00\xff\xc3\xa9 abtnr";
	unsigned seed = 17;
	char buf[512];
	ch_pf_answer a;
	for (int round = 0; round < 6000; round++) {
		const char *s = seeds[round % (sizeof seeds / sizeof seeds[0])];
		size_t n = strlen(s);
		memcpy(buf, s, n);
		int edits = 1 + (int)(rand_r(&seed) % 4);
		for (int e = 0; e < edits; e++) {
			size_t at = rand_r(&seed) % n;
			int op = (int)(rand_r(&seed) % 3);
			if (op == 0)
				buf[at] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
			else if (op == 1 && n > 1) {
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			} else if (n + 1 < sizeof buf) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
				n++;
			}
		}
		ch_pf_telegram_parse(buf, n, &in, why, sizeof why);
		strings_ok(&in);
		ch_pf_viber_parse(buf, n, &in, why, sizeof why);
		strings_ok(&in);
		ch_pf_telegram_answer(200, buf, n, &a);
		cr_assert(memchr(a.error, 0, sizeof a.error) && memchr(a.platform_message_id, 0, sizeof a.platform_message_id));
		ch_pf_viber_answer(200, buf, n, &a);
		cr_assert(memchr(a.error, 0, sizeof a.error) && ch_utf8_valid(a.error, strlen(a.error)));
	}
}

/* ------------------------------------------------------------------ proofs */

Test(proofs, telegram_secret_token)
{
	const char *secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	cr_assert(ch_pf_telegram_secret_ok(secret, secret));
	cr_assert_not(ch_pf_telegram_secret_ok("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeF", secret));
	cr_assert_not(ch_pf_telegram_secret_ok(NULL, secret), "missing header");
	cr_assert_not(ch_pf_telegram_secret_ok("", secret));
	cr_assert_not(ch_pf_telegram_secret_ok("0123456789abcdef", secret), "shorter");
	cr_assert_not(ch_pf_telegram_secret_ok("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", secret),
	              "longer");
	cr_assert_not(ch_pf_telegram_secret_ok("", ""), "an empty secret proves nothing");
	cr_assert_not(ch_pf_telegram_secret_ok("x", NULL));
}

static void hmac_hex(const char *token, const char *body, char hex[65])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)token, strlen(token));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 65, mac, sizeof mac);
}

Test(proofs, viber_signature)
{
	cr_assert_geq(sodium_init(), 0);
	const char *token = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9";
	const char *body = "{\"event\":\"webhook\",\"timestamp\":1457764197627,\"message_token\":241256543215}";
	char hex[65];
	hmac_hex(token, body, hex);
	cr_assert(ch_pf_viber_signature_ok(hex, token, body, strlen(body)));
	char upper[65];
	for (int i = 0; i < 65; i++)
		upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
	cr_assert(ch_pf_viber_signature_ok(upper, token, body, strlen(body)), "hex in either case");
	char wrong[65];
	memcpy(wrong, hex, 65);
	wrong[10] = wrong[10] == '0' ? '1' : '0';
	cr_assert_not(ch_pf_viber_signature_ok(wrong, token, body, strlen(body)));
	cr_assert_not(ch_pf_viber_signature_ok(NULL, token, body, strlen(body)), "missing");
	cr_assert_not(ch_pf_viber_signature_ok("", token, body, strlen(body)));
	char shorter[65];
	memcpy(shorter, hex, 65);
	shorter[63] = 0;
	cr_assert_not(ch_pf_viber_signature_ok(shorter, token, body, strlen(body)), "63 hex digits");
	char longer[67];
	snprintf(longer, sizeof longer, "%s00", hex);
	cr_assert_not(ch_pf_viber_signature_ok(longer, token, body, strlen(body)), "66 hex digits");
	char nothex[65];
	memcpy(nothex, hex, 65);
	nothex[0] = 'g';
	cr_assert_not(ch_pf_viber_signature_ok(nothex, token, body, strlen(body)));
	cr_assert_not(ch_pf_viber_signature_ok(hex, "another-token", body, strlen(body)), "another bot's token");
	cr_assert_not(ch_pf_viber_signature_ok(hex, token, body, strlen(body) - 1), "the body changed");
	cr_assert_not(ch_pf_viber_signature_ok(hex, "", body, strlen(body)));
	cr_assert_not(ch_pf_viber_signature_ok(hex, NULL, body, strlen(body)));
	cr_assert_not(ch_pf_viber_signature_ok(hex, token, NULL, 5));
	hmac_hex(token, "", hex);
	cr_assert(ch_pf_viber_signature_ok(hex, token, NULL, 0), "an empty body has a signature too");
}

/* ----------------------------------------------------------------- answers */

static ch_pf_answer ans;

static void tga(int status, const char *body)
{
	ch_pf_telegram_answer(status, body, body ? strlen(body) : 0, &ans);
	cr_assert(memchr(ans.error, 0, sizeof ans.error) && ch_utf8_valid(ans.error, strlen(ans.error)));
	cr_assert(memchr(ans.platform_message_id, 0, sizeof ans.platform_message_id));
}

static void vba(int status, const char *body)
{
	ch_pf_viber_answer(status, body, body ? strlen(body) : 0, &ans);
	cr_assert(memchr(ans.error, 0, sizeof ans.error) && ch_utf8_valid(ans.error, strlen(ans.error)));
	cr_assert(memchr(ans.platform_message_id, 0, sizeof ans.platform_message_id));
}

Test(answers, telegram_sent)
{
	tga(200, "{\"ok\":true,\"result\":{\"message_id\":42,\"chat\":{\"id\":5},\"date\":1,\"text\":\"hi\"}}");
	cr_assert_eq(ans.verdict, CH_PF_SENT);
	cr_assert_str_eq(ans.platform_message_id, "42");
	cr_assert_str_eq(ans.error, "");
	cr_assert_eq(ans.retry_after_s, 0);
	tga(200, "{\"ok\":true,\"result\":true}");
	cr_assert_eq(ans.verdict, CH_PF_SENT, "setWebhook's answer");
	cr_assert_str_eq(ans.platform_message_id, "");
}

Test(answers, telegram_flood_control)
{
	tga(429, "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after 17\","
	         "\"parameters\":{\"retry_after\":17}}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	cr_assert_eq(ans.retry_after_s, 17);
	cr_assert_str_eq(ans.error, "Too Many Requests: retry after 17");
	tga(400, "{\"ok\":false,\"error_code\":429,\"parameters\":{\"retry_after\":3}}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY, "error_code 429 whatever the status");
	cr_assert_eq(ans.retry_after_s, 3);
	tga(429, "{\"ok\":false,\"error_code\":429}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	cr_assert_eq(ans.retry_after_s, 0, "no retry_after: the caller's backoff");
	cr_assert_str_eq(ans.error, "HTTP 429");
	tga(429, "{\"ok\":false,\"parameters\":{\"retry_after\":99999999999}}");
	cr_assert_eq(ans.retry_after_s, CH_PF_RETRY_AFTER_MAX);
	tga(429, "{\"ok\":false,\"parameters\":{\"retry_after\":-5}}");
	cr_assert_eq(ans.retry_after_s, 0);
	tga(429, "{\"ok\":false,\"parameters\":{\"retry_after\":\"5\"}}");
	cr_assert_eq(ans.retry_after_s, 0);
	tga(429, "Too Many Requests");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
}

Test(answers, telegram_rejected)
{
	tga(403, "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: bot was blocked by the user\"}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	cr_assert_str_eq(ans.error, "Forbidden: bot was blocked by the user");
	tga(403, "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: user is deactivated\"}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	tga(400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	cr_assert_str_eq(ans.error, "Bad Request: chat not found");
	tga(400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: PEER_ID_INVALID\"}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	tga(400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: message text is empty\"}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED, "any 400: the request can never succeed");
	tga(400, "{\"ok\":false,\"error_code\":400}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	cr_assert_str_eq(ans.error, "HTTP 400");
	tga(413, "{\"ok\":false,\"error_code\":413,\"description\":\"Request Entity Too Large\"}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	tga(200, "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: bot was kicked\"}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	tga(403, "{\"ok\":false,\"description\":\"a\\u0000b\\nc\"}");
	cr_assert_str_eq(ans.error, "ab c", "a description shown as one clean line");
}

Test(answers, telegram_retry)
{
	tga(0, NULL);
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	cr_assert_str_eq(ans.error, "no answer from the platform");
	tga(502, "<html>Bad Gateway</html>");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	cr_assert_str_eq(ans.error, "HTTP 502: unparsable answer");
	tga(500, "{\"ok\":false,\"error_code\":500,\"description\":\"Internal Server Error\"}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	cr_assert_str_eq(ans.error, "Internal Server Error");
	tga(503, "");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	tga(401, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	cr_assert_str_eq(ans.error, "Unauthorized");
	tga(404, "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY, "a wrong token: fixed by the admin, not the message's fault");
	tga(200, "not json");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	tga(200, "{\"ok\":false}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	tga(200, "[1]");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	tga(302, "{}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	tga(400, "<html>proxy</html>");
	cr_assert_eq(ans.verdict, CH_PF_RETRY, "an answer that is not Telegram's JSON is not its verdict");
}

Test(answers, viber)
{
	vba(200, "{\"status\":0,\"status_message\":\"ok\",\"message_token\":5098034272017990000,\"chat_hostname\":\"SN-2\","
	         "\"billing_status\":1}");
	cr_assert_eq(ans.verdict, CH_PF_SENT);
	cr_assert_str_eq(ans.platform_message_id, "5098034272017990000");
	cr_assert_str_eq(ans.error, "");
	vba(200, "{\"status\":6,\"status_message\":\"receiverNotSubscribed\"}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	cr_assert_str_eq(ans.error, "receiverNotSubscribed");
	vba(200, "{\"status\":5,\"status_message\":\"receiverNotRegistered\"}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	vba(200, "{\"status\":7}");
	cr_assert_eq(ans.verdict, CH_PF_REJECTED);
	cr_assert_str_eq(ans.error, "Viber status 7");
	vba(200, "{\"status\":12,\"status_message\":\"tooManyRequests\"}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	cr_assert_eq(ans.retry_after_s, 0);
	cr_assert_str_eq(ans.error, "tooManyRequests");
	vba(200, "{\"status\":2,\"status_message\":\"invalidAuthToken\"}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	vba(200, "{\"status\":999}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	vba(500, "{\"status\":0}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY, "not reached");
	cr_assert_str_eq(ans.error, "HTTP 500");
	vba(404, NULL);
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	vba(0, NULL);
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	cr_assert_str_eq(ans.error, "no answer from the platform");
	vba(200, "<html>");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	vba(200, "{\"status\":\"0\"}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	vba(200, "{\"status\":0.0}");
	cr_assert_eq(ans.verdict, CH_PF_RETRY);
	vba(200, "{\"status\":0}");
	cr_assert_eq(ans.verdict, CH_PF_SENT);
	cr_assert_str_eq(ans.platform_message_id, "");
}

/* ------------------------------------------------------------------ bodies */

static json_t *parsed(char *s)
{
	cr_assert(s, "a body");
	json_error_t err;
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &err);
	cr_assert(j, "%s parses: %s", s, err.text);
	free(s);
	return j;
}

Test(bodies, telegram_send_text)
{
	const char *text = "He said \"hi\"\n\tand left \\ ✓ 😀 \x01";
	json_t *j = parsed(ch_pf_telegram_send_text("123456789", text));
	cr_assert(json_is_integer(json_object_get(j, "chat_id")));
	cr_assert_eq(json_integer_value(json_object_get(j, "chat_id")), 123456789);
	cr_assert_str_eq(json_string_value(json_object_get(j, "text")), text);
	json_decref(j);
	j = parsed(ch_pf_telegram_send_text("8123456789012", "x"));
	cr_assert_eq(json_integer_value(json_object_get(j, "chat_id")), 8123456789012LL);
	json_decref(j);
	j = parsed(ch_pf_telegram_send_text("-1001234567890", "x"));
	cr_assert_eq(json_integer_value(json_object_get(j, "chat_id")), -1001234567890LL);
	json_decref(j);
	j = parsed(ch_pf_telegram_send_text("@channel", "x"));
	cr_assert_str_eq(json_string_value(json_object_get(j, "chat_id")), "@channel");
	json_decref(j);
	j = parsed(ch_pf_telegram_send_text("99999999999999999999", "x"));
	cr_assert_str_eq(json_string_value(json_object_get(j, "chat_id")), "99999999999999999999");
	json_decref(j);
	cr_assert_null(ch_pf_telegram_send_text("5", "\xff"), "not UTF-8");
	cr_assert_null(ch_pf_telegram_send_text(NULL, "x"));
	cr_assert_null(ch_pf_telegram_send_text("5", NULL));
}

Test(bodies, viber_send)
{
	json_t *j = parsed(ch_pf_viber_send("01234567890A=", "Support", "quote \" and\nnewline ✓", NULL, 0, NULL, -1));
	cr_assert_str_eq(json_string_value(json_object_get(j, "receiver")), "01234567890A=");
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "text");
	cr_assert_str_eq(json_string_value(json_object_get(j, "text")), "quote \" and\nnewline ✓");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "sender"), "name")), "Support");
	cr_assert_eq(json_integer_value(json_object_get(j, "min_api_version")), 1);
	cr_assert_null(json_object_get(j, "media"));
	json_decref(j);

	j = parsed(ch_pf_viber_send("U", "Support", "a caption", "https://h/m/1.jpg", CH_MEDIA_PHOTO, "1.jpg", 100));
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "picture");
	cr_assert_str_eq(json_string_value(json_object_get(j, "media")), "https://h/m/1.jpg");
	cr_assert_str_eq(json_string_value(json_object_get(j, "text")), "a caption");
	json_decref(j);
	j = parsed(ch_pf_viber_send("U", "Support", NULL, "https://h/m/1.jpg", CH_MEDIA_PHOTO, NULL, -1));
	cr_assert_str_eq(json_string_value(json_object_get(j, "text")), "", "a picture's text is required");
	json_decref(j);

	j = parsed(ch_pf_viber_send("U", "Support", NULL, "https://h/m/2.pdf", CH_MEDIA_FILE, "report \"q\".pdf", 5000));
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "file");
	cr_assert_str_eq(json_string_value(json_object_get(j, "file_name")), "report \"q\".pdf");
	cr_assert_eq(json_integer_value(json_object_get(j, "size")), 5000);
	json_decref(j);
	j = parsed(ch_pf_viber_send("U", "Support", NULL, "https://h/m/3.ogg", CH_MEDIA_AUDIO, NULL, 7));
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "file");
	cr_assert_str_eq(json_string_value(json_object_get(j, "file_name")), "file");
	json_decref(j);
	j = parsed(ch_pf_viber_send("U", "Support", NULL, "https://h/m/4.mp4", CH_MEDIA_VIDEO, NULL, 9000));
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "video");
	cr_assert_eq(json_integer_value(json_object_get(j, "size")), 9000);
	cr_assert_null(json_object_get(j, "file_name"));
	json_decref(j);

	j = parsed(ch_pf_viber_send("U", "A very long organization name of the bot", "x", NULL, 0, NULL, -1));
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "sender"), "name")),
	                 "A very long organization nam", "cut to 28 characters");
	json_decref(j);
	j = parsed(ch_pf_viber_send("U", "Служба підтримки клієнтів компанії", "x", NULL, 0, NULL, -1));
	cr_assert_eq(chars(json_string_value(json_object_get(json_object_get(j, "sender"), "name"))), 28);
	json_decref(j);
	j = parsed(ch_pf_viber_send("U", "", "x", NULL, 0, NULL, -1));
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "sender"), "name")), "ChatHub");
	json_decref(j);
	cr_assert_null(ch_pf_viber_send(NULL, "S", "x", NULL, 0, NULL, -1));
	cr_assert_null(ch_pf_viber_send("U", "S", NULL, NULL, 0, NULL, -1));
	cr_assert_null(ch_pf_viber_send("U", "S", "\xc3", NULL, 0, NULL, -1));
}

Test(bodies, set_webhook)
{
	json_t *j = parsed(ch_pf_telegram_set_webhook("https://chat.example.com/api/channels/telegram/abc", "s3cr3t"));
	cr_assert_str_eq(json_string_value(json_object_get(j, "url")), "https://chat.example.com/api/channels/telegram/abc");
	cr_assert_str_eq(json_string_value(json_object_get(j, "secret_token")), "s3cr3t");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "allowed_updates"), 0)), "message");
	json_decref(j);
	j = parsed(ch_pf_telegram_set_webhook("https://x/y", NULL));
	cr_assert_null(json_object_get(j, "secret_token"));
	json_decref(j);
	j = parsed(ch_pf_telegram_set_webhook("", "s"));
	cr_assert_str_eq(json_string_value(json_object_get(j, "url")), "");
	cr_assert_eq(json_object_size(j), 1, "removal: only the empty url");
	json_decref(j);
	cr_assert_null(ch_pf_telegram_set_webhook(NULL, "s"));

	j = parsed(ch_pf_viber_set_webhook("https://chat.example.com/api/channels/viber/abc"));
	cr_assert_str_eq(json_string_value(json_object_get(j, "url")), "https://chat.example.com/api/channels/viber/abc");
	json_t *ev = json_object_get(j, "event_types");
	const char *want[] = {"delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"};
	cr_assert_eq(json_array_size(ev), 6);
	for (size_t i = 0; i < 6; i++)
		cr_assert_str_eq(json_string_value(json_array_get(ev, i)), want[i]);
	cr_assert(json_is_true(json_object_get(j, "send_name")));
	json_decref(j);
	j = parsed(ch_pf_viber_set_webhook(""));
	cr_assert_eq(json_object_size(j), 1);
	json_decref(j);
	cr_assert_null(ch_pf_viber_set_webhook(NULL));
}

/* --------------------------------------------------------------- multipart */

static const char *find(const char *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle));
}

Test(multipart, rfc7578_shape_and_exact_bytes)
{
	unsigned char data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7);
	memcpy(data + 10, "\r\n--\r\n\0", 7);
	char *body;
	size_t len;
	char ct[128];
	cr_assert_eq(ch_pf_telegram_multipart("123456789", "photo", "pic \"1\"\r\n.jpg", "image/jpeg", data, sizeof data,
	                                      "caption ✓", &body, &len, ct),
	             0);
	const char *pre = "multipart/form-data; boundary=";
	cr_assert_eq(strncmp(ct, pre, strlen(pre)), 0, "%s", ct);
	const char *boundary = ct + strlen(pre);
	cr_assert(strlen(boundary) >= 16 && strlen(boundary) <= 70);
	char delim[100];
	snprintf(delim, sizeof delim, "--%s", boundary);
	cr_assert_eq(strncmp(body, delim, strlen(delim)), 0, "starts with the delimiter");
	char closing[110];
	snprintf(closing, sizeof closing, "\r\n--%s--\r\n", boundary);
	cr_assert_eq(memcmp(body + len - strlen(closing), closing, strlen(closing)), 0, "ends with the close delimiter");
	cr_assert(find(body, len, "Content-Disposition: form-data; name=\"chat_id\"\r\n\r\n123456789\r\n"));
	cr_assert(find(body, len, "Content-Disposition: form-data; name=\"caption\"\r\n\r\ncaption ✓\r\n"));
	const char *head = "Content-Disposition: form-data; name=\"photo\"; filename=\"pic 1.jpg\"\r\n"
	                   "Content-Type: image/jpeg\r\n\r\n";
	const char *at = find(body, len, head);
	cr_assert(at, "the file part, its name without quotes or line breaks");
	at += strlen(head);
	cr_assert_eq(memcmp(at, data, sizeof data), 0, "the bytes as they are");
	cr_assert_eq((size_t)(at + sizeof data - body), len - strlen(closing));
	/* the delimiter occurs exactly three times plus the closing one */
	int count = 0;
	for (const char *p = body; (p = find(p, len - (size_t)(p - body), delim)); p++)
		count++;
	cr_assert_eq(count, 4);
	free(body);

	char *body2;
	char ct2[128];
	cr_assert_eq(ch_pf_telegram_multipart("5", "document", "a.bin", NULL, "x", 1, NULL, &body2, &len, ct2), 0);
	cr_assert_str_neq(ct, ct2, "a new boundary every time");
	cr_assert_null(find(body2, len, "name=\"caption\""), "no caption part without a caption");
	cr_assert(find(body2, len, "Content-Type: application/octet-stream\r\n"));
	free(body2);
}

Test(multipart, boundary_never_occurs_in_the_data)
{
	char *body;
	size_t len;
	char ct[128];
	const char data[] = "prefix--XYZ-suffix";
	cr_assert_eq(ch_pf_multipart_with("XYZ", "5", "document", "f", "text/plain", data, strlen(data), NULL, &body,
	                                  &len, ct),
	             -1);
	cr_assert_null(body);
	cr_assert_eq(ch_pf_multipart_with("XYZ", "5", "document", "f", "text/plain", "x", 1, "cap --XYZ", &body, &len,
	                                  ct),
	             -1, "nor in the caption");
	cr_assert_eq(ch_pf_multipart_with("XYZ", "5", "document", "a--XYZ", "text/plain", "x", 1, NULL, &body, &len, ct),
	             -1, "nor in the file name");
	cr_assert_eq(ch_pf_multipart_with("ABC", "5", "document", "f", "text/plain", data, strlen(data), NULL, &body,
	                                  &len, ct),
	             0);
	cr_assert_str_eq(ct, "multipart/form-data; boundary=ABC");
	free(body);
	cr_assert_eq(ch_pf_multipart_with("bad boundary", "5", "photo", "f", NULL, "x", 1, NULL, &body, &len, ct), -1);
	cr_assert_eq(ch_pf_multipart_with("", "5", "photo", "f", NULL, "x", 1, NULL, &body, &len, ct), -1);
}

Test(multipart, unusable_arguments)
{
	char *body;
	size_t len;
	char ct[128];
	cr_assert_eq(ch_pf_telegram_multipart("12a", "photo", "f", NULL, "x", 1, NULL, &body, &len, ct), -1);
	cr_assert_eq(ch_pf_telegram_multipart("", "photo", "f", NULL, "x", 1, NULL, &body, &len, ct), -1);
	cr_assert_eq(ch_pf_telegram_multipart(NULL, "photo", "f", NULL, "x", 1, NULL, &body, &len, ct), -1);
	cr_assert_eq(ch_pf_telegram_multipart("5\r\nX", "photo", "f", NULL, "x", 1, NULL, &body, &len, ct), -1);
	cr_assert_eq(ch_pf_telegram_multipart("5", "photo\"", "f", NULL, "x", 1, NULL, &body, &len, ct), -1);
	cr_assert_eq(ch_pf_telegram_multipart("5", "sticker", "f", NULL, "x", 1, NULL, &body, &len, ct), -1);
	cr_assert_eq(ch_pf_telegram_multipart("5", "photo", "f", NULL, NULL, 4, NULL, &body, &len, ct), -1);
	cr_assert_eq(ch_pf_telegram_multipart("5", "photo", "f", NULL, "x", 1, "\xff", &body, &len, ct), -1);
	cr_assert_null(body);
	/* odd names and types are made safe, not refused */
	cr_assert_eq(ch_pf_telegram_multipart("-100123", "photo", "\"\r\n\\", "image/jpeg\r\nX-Evil: 1", "x", 1, NULL,
	                                      &body, &len, ct),
	             0);
	cr_assert(find(body, len, "filename=\"file\"\r\n"));
	cr_assert(find(body, len, "Content-Type: application/octet-stream\r\n"));
	cr_assert_null(find(body, len, "X-Evil"));
	free(body);
	char *longname = repeat("ж", 200, "", ".jpg");
	cr_assert_eq(ch_pf_telegram_multipart("5", "photo", longname, "image/jpeg", "x", 1, NULL, &body, &len, ct), 0);
	const char *fn = find(body, len, "filename=\"");
	cr_assert(fn);
	fn += strlen("filename=\"");
	const char *end = memchr(fn, '"', len - (size_t)(fn - body));
	cr_assert(end && end - fn <= 255 && ch_utf8_valid(fn, (size_t)(end - fn)), "cut on a character boundary");
	free(body);
	free(longname);
	cr_assert_eq(ch_pf_telegram_multipart("5", "photo", "b\xff\xfe" "ad", NULL, "x", 1, NULL, &body, &len, ct), 0);
	cr_assert(find(body, len, "filename=\"file\""), "a name that is not UTF-8 becomes \"file\"");
	free(body);
}

/* ----------------------------------------------------------------- getFile */

Test(telegram, file_path)
{
	char path[256];
	int64_t size;
	const char *ok = "{\"ok\":true,\"result\":{\"file_id\":\"F\",\"file_unique_id\":\"u\",\"file_size\":2048,"
	                 "\"file_path\":\"photos/file_0.jpg\"}}";
	cr_assert_eq(ch_pf_telegram_file_path(ok, strlen(ok), path, sizeof path, &size), 0);
	cr_assert_str_eq(path, "photos/file_0.jpg");
	cr_assert_eq(size, 2048);
	const char *nosize = "{\"ok\":true,\"result\":{\"file_id\":\"F\",\"file_path\":\"documents/file_1.pdf\"}}";
	cr_assert_eq(ch_pf_telegram_file_path(nosize, strlen(nosize), path, sizeof path, &size), 0);
	cr_assert_eq(size, -1);
	const char *bad[] = {
	    "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: invalid file_id\"}",
	    "{\"ok\":true,\"result\":{\"file_id\":\"F\"}}",
	    "{\"ok\":true,\"result\":{\"file_path\":\"../../etc/passwd\"}}",
	    "{\"ok\":true,\"result\":{\"file_path\":\"/etc/passwd\"}}",
	    "{\"ok\":true,\"result\":{\"file_path\":\"a?b#c\"}}",
	    "{\"ok\":true,\"result\":{\"file_path\":\"a b\"}}",
	    "{\"ok\":true,\"result\":{\"file_path\":\"\"}}",
	    "{\"ok\":true,\"result\":{\"file_path\":5}}",
	    "{\"ok\":true,\"result\":\"photos/x.jpg\"}",
	    "{\"ok\":\"true\",\"result\":{\"file_path\":\"photos/x.jpg\"}}",
	    "not json",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(ch_pf_telegram_file_path(bad[i], strlen(bad[i]), path, sizeof path, &size), -1, "%s", bad[i]);
		cr_assert_str_eq(path, "");
		cr_assert_eq(size, -1);
	}
	char small[8];
	cr_assert_eq(ch_pf_telegram_file_path(ok, strlen(ok), small, sizeof small, &size), -1, "does not fit");
	cr_assert_str_eq(small, "");
}
