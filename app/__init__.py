"""Waymark field app: questionnaire engine, encrypted store, Flet interface."""
