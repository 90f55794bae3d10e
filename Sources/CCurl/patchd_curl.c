#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include "patchd_curl.h"

static CURLcode (*p_global_init)(long);
static CURL *(*p_easy_init)(void);
static void (*p_easy_cleanup)(CURL *);
static CURLcode (*p_easy_perform)(CURL *);
static const char *(*p_easy_strerror)(CURLcode);
static CURLcode (*p_easy_setopt)(CURL *, CURLoption, ...);
static CURLcode (*p_easy_getinfo)(CURL *, CURLINFO, ...);
static struct curl_slist *(*p_slist_append)(struct curl_slist *, const char *);
static void (*p_slist_free_all)(struct curl_slist *);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];
static int loaded = -1;

static void load(void) {
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error, "libcurl.so.4 cannot be loaded (install libcurl4): %s", dlerror());
        return;
    }
#define RESOLVE(var, name)                                                                          \
    var = dlsym(lib, name);                                                                         \
    if (!var) {                                                                                     \
        snprintf(load_error, sizeof load_error, "libcurl.so.4 lacks %s", name);                    \
        return;                                                                                     \
    }
    RESOLVE(p_global_init, "curl_global_init")
    RESOLVE(p_easy_init, "curl_easy_init")
    RESOLVE(p_easy_cleanup, "curl_easy_cleanup")
    RESOLVE(p_easy_perform, "curl_easy_perform")
    RESOLVE(p_easy_strerror, "curl_easy_strerror")
    RESOLVE(p_easy_setopt, "curl_easy_setopt")
    RESOLVE(p_easy_getinfo, "curl_easy_getinfo")
    RESOLVE(p_slist_append, "curl_slist_append")
    RESOLVE(p_slist_free_all, "curl_slist_free_all")
#undef RESOLVE
    if (p_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
        return;
    }
    loaded = 0;
}

int patchd_curl_load(char *error, unsigned long error_size) {
    pthread_once(&once, load);
    if (loaded != 0 && error && error_size) snprintf(error, error_size, "%s", load_error);
    return loaded;
}

CURLcode patchd_curl_global_init(long flags) { return p_global_init(flags); }
CURL *patchd_curl_easy_init(void) { return p_easy_init(); }
void patchd_curl_easy_cleanup(CURL *h) { p_easy_cleanup(h); }
CURLcode patchd_curl_easy_perform(CURL *h) { return p_easy_perform(h); }
const char *patchd_curl_easy_strerror(CURLcode c) { return p_easy_strerror(c); }
CURLcode patchd_curl_set_long(CURL *h, CURLoption o, long v) { return p_easy_setopt(h, o, v); }
CURLcode patchd_curl_set_string(CURL *h, CURLoption o, const char *v) { return p_easy_setopt(h, o, v); }
CURLcode patchd_curl_set_pointer(CURL *h, CURLoption o, void *v) { return p_easy_setopt(h, o, v); }
CURLcode patchd_curl_set_write(CURL *h, CURLoption o, patchd_curl_write_fn f) { return p_easy_setopt(h, o, f); }
CURLcode patchd_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return p_easy_setopt(h, o, v); }
CURLcode patchd_curl_info_long(CURL *h, CURLINFO i, long *v) { return p_easy_getinfo(h, i, v); }
CURLcode patchd_curl_set_slist(CURL *h, CURLoption o, struct curl_slist *v) { return p_easy_setopt(h, o, v); }
struct curl_slist *patchd_curl_slist_append(struct curl_slist *list, const char *s) { return p_slist_append(list, s); }
void patchd_curl_slist_free_all(struct curl_slist *list) { p_slist_free_all(list); }
