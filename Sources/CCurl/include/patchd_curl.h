#ifndef PATCHD_CURL_H
#define PATCHD_CURL_H
// libcurl for Swift: its variadic calls as typed functions, and the library itself opened on first use
// (dlopen), so that the many libraries libcurl pulls in (TLS, HTTP/2, Kerberos, LDAP, ...) cost a process that
// never fetches anything nothing: patchctl scan stays small. Only <curl/curl.h>'s types and constants are used
// at build time.
#include <curl/curl.h>

/// Opens libcurl.so.4 and resolves what patchd uses; 0 on success, else -1 with a message in `error`.
int patchd_curl_load(char *error, unsigned long error_size);

typedef size_t (*patchd_curl_write_fn)(char *data, size_t size, size_t count, void *context);

CURLcode patchd_curl_global_init(long flags);
CURL *patchd_curl_easy_init(void);
void patchd_curl_easy_cleanup(CURL *handle);
CURLcode patchd_curl_easy_perform(CURL *handle);
const char *patchd_curl_easy_strerror(CURLcode code);

CURLcode patchd_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode patchd_curl_set_string(CURL *handle, CURLoption option, const char *value);
CURLcode patchd_curl_set_pointer(CURL *handle, CURLoption option, void *value);
CURLcode patchd_curl_set_write(CURL *handle, CURLoption option, patchd_curl_write_fn fn);
CURLcode patchd_curl_set_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode patchd_curl_info_long(CURL *handle, CURLINFO info, long *value);
/// A header list (CURLOPT_HTTPHEADER, CURLOPT_PROXYHEADER): the list must outlive the transfer.
CURLcode patchd_curl_set_slist(CURL *handle, CURLoption option, struct curl_slist *list);
/// Appends a copy of `string`; NULL when out of memory (then `list` is unchanged and still owned by the caller).
struct curl_slist *patchd_curl_slist_append(struct curl_slist *list, const char *string);
void patchd_curl_slist_free_all(struct curl_slist *list);
#endif
