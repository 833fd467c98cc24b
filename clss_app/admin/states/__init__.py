"""The admin state by concern, as Reflex mixins; composed in clss_app/admin/state.py."""
