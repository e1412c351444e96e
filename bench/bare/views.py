"""The two baselines: a constant JSON answer, and a three-field form that stores one row."""

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from bench.bare.models import Entry


class EntryForm(forms.Form):
    name = forms.CharField(max_length=100)
    email = forms.EmailField()
    comment = forms.CharField(max_length=200, required=False)


@require_GET
def constant_json(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"slug": "bare", "count": 123456, "goal": 200000})


@require_http_methods(["GET", "POST"])
def entry_form(request: HttpRequest) -> HttpResponse:
    form = EntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        Entry.objects.create(**form.cleaned_data)
        return redirect("/form/done/")
    status = 400 if request.method == "POST" else 200
    return render(request, "bare/form.html", {"form": form}, status=status)


@require_GET
def done(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Thank you.", content_type="text/plain")
