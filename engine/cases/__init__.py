"""Cases in a store: the runtime that records each input and keeps the derived case beside
it, replay against the history (verify), copying a store, and scenario files."""
