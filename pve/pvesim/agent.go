package pvesim

// Issue 6 simulator routes for agent, in progress.
