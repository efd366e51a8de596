from django.urls import path

from . import views

urlpatterns = [
    path("numbers/", views.number_list, name="number_list"),
    path("numbers/<int:pk>/", views.number_detail, name="number_detail"),
]
