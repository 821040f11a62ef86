/* placeholder so a module without sources still forms a library */
typedef int ch_empty_translation_unit;
