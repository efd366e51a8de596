from django.urls import path

from . import views

urlpatterns = [
    path("", views.endpoint_list, name="webhook_list"),
    path("<int:pk>/", views.endpoint_detail, name="webhook_detail"),
    path("<int:pk>/test/", views.endpoint_test, name="webhook_test"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay, name="webhook_replay"),
]
