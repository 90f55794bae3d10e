#ifndef PATCHD_CURL_H
#define PATCHD_CURL_H
// libcurl's variadic curl_easy_setopt/getinfo, as typed functions Swift can call. Nothing else.
#include <curl/curl.h>

typedef size_t (*patchd_curl_write_fn)(char *data, size_t size, size_t count, void *context);

CURLcode patchd_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode patchd_curl_set_string(CURL *handle, CURLoption option, const char *value);
CURLcode patchd_curl_set_pointer(CURL *handle, CURLoption option, void *value);
CURLcode patchd_curl_set_write(CURL *handle, CURLoption option, patchd_curl_write_fn fn);
CURLcode patchd_curl_set_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode patchd_curl_info_long(CURL *handle, CURLINFO info, long *value);
#endif
