from django.apps import AppConfig


class VcseConfig(AppConfig):
    name = "vcse"
