#!/bin/sh
# Reproduces every figure of README.md (about 30 minutes on one core). Run from tools/research/
# after extract.py has cached the features of both sets. One JSON line per run in
# .cache/results.jsonl.
set -e
PY="nice -n 19 ../model/.venv/bin/python"
export OPENBLAS_NUM_THREADS=1
RW=../../../shared/data/reid-real/rightwhale-heads-224/labels.csv
NY=../../../shared/data/reid-real/nyala-flank/labels.csv
OUT=.cache/results.jsonl
: > $OUT
for seed in 1 2 3; do
  for recipe in baseline s16c80-g7 s16c80-g7-lda recommended recommended-384; do
    $PY evaluate.py $RW --seed $seed --unknown-fraction 0.2 --queries-per 2 --recipe $recipe >> $OUT
  done
  for mode in hybrid shared-pca none; do
    $PY evaluate.py $RW --seed $seed --unknown-fraction 0.2 --queries-per 2 --recipe recommended --calibrate $mode \
      | sed "s/^{/{\"calibrate\": \"$mode\", /" >> $OUT
  done
done
for seed in 1 2 3; do
  for recipe in baseline s16c80-g7 recommended; do
    $PY evaluate.py $NY --seed $seed --unknown-fraction 0.2 --queries-per 2 --recipe $recipe >> $OUT
  done
done
$PY summarise.py $OUT
