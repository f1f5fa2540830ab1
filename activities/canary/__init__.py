"""Automated canary analysis: Kayenta's NetflixACAJudge and, later, its metric sources and stage.

The judge itself lives in :mod:`activities.canary.judge` and is pure (no Temporal,
no I/O besides :func:`activities.canary.judge.judge_files`); the activities that
fetch metrics and run it on the ``gennaker-canary`` queue wrap it.
"""
