// libjpeg-turbo's TurboJPEG C API (Debian: libturbojpeg0-dev). TurboJPEG keeps
// libjpeg's messages in the handle (tjGetErrorStr2) instead of printing them.
#include <turbojpeg.h>
