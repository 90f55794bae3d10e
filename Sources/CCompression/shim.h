#ifndef PATCHD_CCOMPRESSION_SHIM_H
#define PATCHD_CCOMPRESSION_SHIM_H
// The system compression libraries that package metadata comes in (Debian's -dev packages).
#include <zlib.h>
#include <lzma.h>
#include <lz4frame.h>
#include <zstd.h>
#include <bzlib.h>
#endif
