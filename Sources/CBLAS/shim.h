// OpenBLAS's CBLAS interface plus its threading controls (Debian: libopenblas-dev).
#include <cblas.h>
