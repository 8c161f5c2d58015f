"""Report builders: Allure environment and categories, the JSON summary, the HTML matrix.

They read results and the catalogue, never a live target. Their output (``reports/out``,
``reports/allure-results``) is git-ignored.
"""
