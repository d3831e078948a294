from django.urls import path

from dashboard.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.rule_list, name="rules"),
    path("new/", views.rule_edit, name="rule-new"),
    path("history/", views.history, name="history"),
    path("channels/", views.channel_list, name="channels"),
    path("channels/<int:channel_id>/test/", views.channel_test, name="channel-test"),
    path("<int:rule_id>/", views.rule_history, name="rule"),
    path("<int:rule_id>/edit/", views.rule_edit, name="rule-edit"),
    path("<int:rule_id>/pause/", views.rule_pause, name="rule-pause"),
    path("<int:rule_id>/delete/", views.rule_delete, name="rule-delete"),
]
