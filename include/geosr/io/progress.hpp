#pragma once
// Progress in the style of GDAL's utilities ("0...10...20...30...40...50...60...70...80...90...100 - done.").

#include <gdal.h>

namespace geosr {

// Like GDALTermProgress, but on stderr so that stdout stays free for the program's own output.
// A message, when given, is printed in parentheses after the 10 %, 20 %, ... marks (e.g. the
// diffusion step, windows per second and the ETA).
int CPL_STDCALL stderr_progress(double complete, const char* message, void* data);

// Ends a progress line left unfinished (an error or a warning in the middle of a run), so that the
// message starts a line of its own.
void end_progress_line();

}  // namespace geosr
