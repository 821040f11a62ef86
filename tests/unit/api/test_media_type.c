/* api/media.c: which media types are served as themselves, and the download
 * name of everything else. */
#include <criterion/criterion.h>
#include <string.h>

#include "api/internal.h"

Test(media_type, allow_listed_types_are_served_as_themselves)
{
	static const char *const same[] = {"image/png", "image/jpeg", "image/gif", "image/webp", "audio/mpeg",
	                                   "audio/ogg", "audio/wav", "audio/webm", "audio/mp4", "audio/aac",
	                                   "video/mp4", "video/webm", "video/ogg", "application/pdf"};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		const char *t = ch_api_media_type(same[i]);
		cr_assert_not_null(t, "%s", same[i]);
		cr_assert_str_eq(t, same[i]);
	}
}

Test(media_type, case_parameters_extensions_and_aliases)
{
	static const char *const cases[][2] = {
		{"IMAGE/PNG", "image/png"},          {"Image/Jpeg", "image/jpeg"},
		{"audio/webm;codecs=opus", "audio/webm"}, {"audio/webm; codecs=opus", "audio/webm"},
		{"png", "image/png"},                {".PNG", "image/png"},
		{"jpg", "image/jpeg"},               {"JPEG", "image/jpeg"},
		{"gif", "image/gif"},                {"webp", "image/webp"},
		{"mp3", "audio/mpeg"},               {"ogg", "audio/ogg"},
		{"wav", "audio/wav"},                {"m4a", "audio/mp4"},
		{"aac", "audio/aac"},                {"mp4", "video/mp4"},
		{"webm", "video/webm"},              {"ogv", "video/ogg"},
		{"pdf", "application/pdf"},          {".Pdf", "application/pdf"},
		{"image/jpg", "image/jpeg"},         {"audio/mp3", "audio/mpeg"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *t = ch_api_media_type(cases[i][0]);
		cr_assert_not_null(t, "%s", cases[i][0]);
		cr_assert_str_eq(t, cases[i][1], "%s", cases[i][0]);
	}
}

Test(media_type, everything_else_is_a_download)
{
	static const char *const other[] = {
		"text/html", "TEXT/HTML", "image/svg+xml", "svg", "application/javascript", "text/javascript",
		"js", "html", "text/plain", "txt", "application/xhtml+xml", "text/xml", "application/octet-stream",
		"bin", "", "image", "image/", "/png", "image/png2", "image/pngx", "ximage/png", "image/png\r\nX: y",
		"application/x-shockwave-flash", "text/css", "multipart/x-mixed-replace",
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
		cr_assert_null(ch_api_media_type(other[i]), "%s", other[i]);
	cr_assert_null(ch_api_media_type(NULL));
}

Test(media_type, download_name_is_percent_encoded)
{
	ch_buf b = CH_BUF_INIT;
	ch_api_content_disposition("notes.txt", &b);
	cr_assert_str_eq(b.data, "attachment; filename*=UTF-8''notes.txt");
	ch_buf_reset(&b);
	ch_api_content_disposition("a b\"c;d\r\n/é.html", &b);
	cr_assert_str_eq(b.data, "attachment; filename*=UTF-8''a%20b%22c%3Bd%0D%0A%2F%C3%A9.html");
	ch_buf_reset(&b);
	ch_api_content_disposition("", &b);
	cr_assert_str_eq(b.data, "attachment; filename*=UTF-8''download");
	ch_buf_free(&b);
}
