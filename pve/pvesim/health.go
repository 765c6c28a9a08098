package pvesim

// Issue 6 simulator routes for health, in progress.
