package pvesim

// Issue 6 simulator routes for extras, in progress.
