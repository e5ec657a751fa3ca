// libpng's simplified read/write API (Debian: libpng-dev).
#include <png.h>
