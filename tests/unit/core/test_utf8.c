/* core/utf8: prefixes never end inside a character; validation follows
 * RFC 3629 (what jansson accepts, minus NUL). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/utf8.h"

Test(utf8, prefix_keeps_short_text_whole)
{
	cr_assert_eq(ch_utf8_prefix("abc", 3, 3), 3);
	cr_assert_eq(ch_utf8_prefix("abc", 3, 10), 3);
	cr_assert_eq(ch_utf8_prefix("", 0, 0), 0);
}

Test(utf8, prefix_cuts_before_a_split_character)
{
	const char *s = "a\xc3\xa9\xc3\xa9"; /* "aéé": 5 bytes */
	cr_assert_eq(ch_utf8_prefix(s, 5, 4), 3, "cut inside the second é: keep a + é");
	cr_assert_eq(ch_utf8_prefix(s, 5, 3), 3);
	cr_assert_eq(ch_utf8_prefix(s, 5, 2), 1);
	cr_assert_eq(ch_utf8_prefix(s, 5, 1), 1);
	cr_assert_eq(ch_utf8_prefix(s, 5, 0), 0);
	const char *emoji = "\xf0\x9f\x8e\x89!"; /* 🎉! */
	for (size_t max = 0; max < 4; max++)
		cr_assert_eq(ch_utf8_prefix(emoji, 5, max), 0, "max %zu", max);
	cr_assert_eq(ch_utf8_prefix(emoji, 5, 4), 4);
}

Test(utf8, prefix_of_the_long_userjwt_name_is_valid)
{
	char name[1 + 2 * 200 + 1] = "a";
	for (int i = 0; i < 200; i++)
		memcpy(name + 1 + 2 * i, "\xc3\xa9", 2);
	name[sizeof name - 1] = '\0';
	size_t n = ch_utf8_prefix(name, strlen(name), 256);
	cr_assert_eq(n, 255, "a + 127 × é");
	cr_assert(ch_utf8_valid(name, n));
	cr_assert_not(ch_utf8_valid(name, 256), "one byte more ends inside an é");
}

Test(utf8, valid_text)
{
	static const char *const ok[] = {"", "plain ASCII", "Zürich 東京 🎉", "\xc2\x80", "\xdf\xbf",
	                                 "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
	                                 "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		cr_assert(ch_utf8_valid(ok[i], strlen(ok[i])), "case %zu", i);
}

Test(utf8, invalid_text)
{
	static const char *const bad[] = {
		"\x80",             /* lone continuation */
		"a\xc3",            /* truncated 2-byte */
		"\xe6\x9d",         /* truncated 3-byte */
		"\xf0\x9f\x8e",     /* truncated 4-byte */
		"\xc0\xaf",         /* overlong '/' */
		"\xc1\xbf",         /* overlong */
		"\xe0\x80\xaf",     /* overlong 3-byte */
		"\xf0\x80\x80\xaf", /* overlong 4-byte */
		"\xed\xa0\x80",     /* surrogate U+D800 */
		"\xed\xbf\xbf",     /* surrogate U+DFFF */
		"\xf4\x90\x80\x80", /* U+110000 */
		"\xf5\x80\x80\x80", /* lead byte past F4 */
		"\xff",             /* never in UTF-8 */
		"\xc3\x28",         /* second byte not a continuation */
		"\xe2\x82\x28",     /* third byte not a continuation */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_not(ch_utf8_valid(bad[i], strlen(bad[i])), "case %zu", i);
	cr_assert_not(ch_utf8_valid("a\0b", 3), "NUL is refused");
	cr_assert(ch_utf8_valid("\xc3\xa9\xc3", 2), "only len bytes are read");
}
