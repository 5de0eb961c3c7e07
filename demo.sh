#!/usr/bin/env bash
# The demonstration: one case stepped through the CSPR pathway, then its diagram.
# Uses a throw-away store (demo/cases.db) so it can be run again and again.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p demo
export CSPR_DB=demo/cases.db
rm -f "$CSPR_DB" "$CSPR_DB-wal" "$CSPR_DB-shm" demo/LA-2019-041.*
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

say cspr validate
say cspr case open cspr --ref LA-2019-041 --on 2019-12-20 --by duty.manager \
    --fact aware_on=2019-12-20 --fact child_died=true --fact abuse_or_neglect=suspected \
    --fact looked_after=false --fact harmed_in_area=true
say cspr case show LA-2019-041 --as-of 2019-12-23
say cspr case send LA-2019-041 panel_notified --on 2019-12-23 --by duty.manager
say cspr case send LA-2019-041 partners_notified --on 2020-01-02 --by duty.manager \
    --note "Sent after the Christmas closure"
say cspr due --within 10 --as-of 2020-01-06
say cspr case send LA-2019-041 rapid_review_completed --on 2020-01-14 --by partnership.lead
say cspr case send LA-2019-041 local_review_decided --on 2020-01-17 --by partnership.lead
say cspr case show LA-2019-041 --as-of 2020-01-20
printf '\n\033[1m$ %s\033[0m\n' "cspr case send LA-2019-041 report_published --on 2020-01-21"
if cspr case send LA-2019-041 report_published --on 2020-01-21; then
    echo "unexpected: publication accepted before the review"; exit 1
else
    echo "(refused, as it should be: the review has not been done; nothing was recorded)"
fi
say cspr tick --as-of 2020-08-01
# Paperwork typed in after the nightly tick: taken in its place, and the command says
# what it changed.
say cspr case send LA-2019-041 rapid_review_sent --on 2020-01-20 --by partnership.lead \
    --note "Sent on 20 January; recorded late"
# A mistake put right: the partners were told on 30 December, not 2 January. The
# correction is a new history row; revision 3 stays as it was recorded.
say cspr case correct LA-2019-041 3 --on 2019-12-30 --by duty.manager \
    --reason "Email log shows the partners were told on 30 December"
say cspr case history LA-2019-041
say cspr case verify LA-2019-041
if cspr diagram --help >/dev/null 2>&1; then
    say cspr diagram cspr --case LA-2019-041 --format dot -o demo/LA-2019-041.dot
    if command -v dot >/dev/null 2>&1; then
        say cspr diagram cspr --case LA-2019-041 --format svg -o demo/LA-2019-041.svg
    fi
fi
echo
echo "Done: the case store is demo/cases.db; diagrams of the processes are in diagrams/."
